package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// traceChunk is how many rows one query of the trace export reads: each
// query is short, so an export of hours never holds a read snapshot (and
// the WAL checkpoint behind it) for long.
const traceChunk = 1000

// TraceFilter selects what ExportTrace writes. Empty fields do not filter.
type TraceFilter struct {
	// Source narrows the VES events to this sourceName, Node the KPM
	// reports to this nodeId. Neither excludes the other kind: to reproduce
	// one CNF's decisions, pass both its VES source and its E2 node.
	Source, Node string
	// Since (inclusive) and Until (exclusive) bound the received time.
	Since, Until time.Time
}

// ExportTrace writes the stored VES events and KPM reports that f selects
// to w as a replay trace (JSON Lines, as `nephoran replay` and
// internal/tracegen write them), in received-time order; on a tie a VES
// event comes before a KPM report, then the order they were stored:
//
//	{"at":"2026-03-01T12:00:00.000001Z","ves":{"event":{"commonEventHeader":...}}}
//	{"at":"2026-03-01T12:00:00.5Z","kpm":{"nodeId":...,"measurements":[...]}}
//
// at is the received time (RFC 3339 in UTC), ves the VES listener's body of
// the event as received, kpm the report as the KPM ingest API takes it
// (model.KPMReport.MarshalJSON). It streams: both tables are read in
// received-time order a chunk at a time and merged. n is the number of
// lines written, also on error.
//
// KPM reports reach the table up to kpmFlushInterval after RecordKPM; an
// export whose Until is that close to now may miss the last ones.
func (s *Store) ExportTrace(ctx context.Context, w io.Writer, f TraceFilter) (n int, err error) {
	if s.closed() {
		return 0, ErrClosed
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	ves := &traceCursor{s: s, kind: traceVES, filter: f}
	kpm := &traceCursor{s: s, kind: traceKPM, filter: f}
	var line []byte
	for {
		v, err := ves.peek(ctx)
		if err != nil {
			return n, err
		}
		k, err := kpm.peek(ctx)
		if err != nil {
			return n, err
		}
		var next *traceCursor
		switch {
		case v == nil && k == nil:
			if err := bw.Flush(); err != nil {
				return n, fmt.Errorf("export trace: %w", err)
			}
			return n, nil
		case k == nil || (v != nil && v.receivedAt <= k.receivedAt):
			next = ves // a VES event first on a tie
		default:
			next = kpm
		}
		if line, err = next.line(line[:0]); err != nil {
			return n, err
		}
		if _, err := bw.Write(line); err != nil {
			return n, fmt.Errorf("export trace: %w", err)
		}
		n++
	}
}

type traceKind int

const (
	traceVES traceKind = iota
	traceKPM
)

// traceRow is a row of either table, as the export reads it.
type traceRow struct {
	id, receivedAt int64
	// raw is a VES event's raw object.
	raw []byte
	// nodeID ... measurements are a KPM report's columns.
	nodeID, cellID              string
	collectStart, granularityMs int64
	measurements                []byte
}

// traceCursor reads one table in (received_at, id) order, traceChunk rows
// per query, each query starting after the last row read (a keyset).
type traceCursor struct {
	s      *Store
	kind   traceKind
	filter TraceFilter
	// rows are the rows of buf not yet written; compact is a VES line's
	// scratch buffer.
	rows, buf []traceRow
	compact   bytes.Buffer
	// pos is the keyset position of the last row read; started says there
	// is one.
	pos     cursor
	started bool
	done    bool
}

// peek returns the next row, nil at the end.
func (c *traceCursor) peek(ctx context.Context) (*traceRow, error) {
	if len(c.rows) == 0 && !c.done {
		if err := c.fetch(ctx); err != nil {
			return nil, err
		}
	}
	if len(c.rows) == 0 {
		return nil, nil
	}
	return &c.rows[0], nil
}

// line appends the JSON line of the next row to b and moves past it.
func (c *traceCursor) line(b []byte) ([]byte, error) {
	r := &c.rows[0]
	c.rows = c.rows[1:]
	b = append(b, `{"at":"`...)
	b = time.UnixMicro(r.receivedAt).UTC().AppendFormat(b, time.RFC3339Nano)
	if c.kind == traceVES {
		// The event as received may span lines; a trace line may not.
		b = append(b, `","ves":{"event":`...)
		c.compact.Reset()
		if err := json.Compact(&c.compact, r.raw); err != nil {
			return b, fmt.Errorf("export trace: event %d: %w", r.id, err)
		}
		b = append(b, c.compact.Bytes()...)
		return append(b, "}}\n"...), nil
	}
	report := model.KPMReport{
		NodeID:            r.nodeID,
		CellID:            r.cellID,
		CollectStart:      time.Unix(0, r.collectStart).UTC(),
		GranularityPeriod: time.Duration(r.granularityMs) * time.Millisecond,
	}
	var ms []struct {
		Name  string   `json:"name"`
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(r.measurements, &ms); err != nil {
		return b, fmt.Errorf("export trace: KPM report %d: decode measurements: %w", r.id, err)
	}
	report.Measurements = make([]model.Measurement, 0, len(ms))
	for _, m := range ms {
		if m.Value != nil { // null: a value that was not finite, no sample
			report.Measurements = append(report.Measurements, model.Measurement{Name: m.Name, Value: *m.Value})
		}
	}
	js, err := report.MarshalJSON()
	if err != nil {
		return b, fmt.Errorf("export trace: KPM report %d: %w", r.id, err)
	}
	b = append(b, `","kpm":`...)
	b = append(b, js...)
	return append(b, "}\n"...), nil
}

// fetch reads the next chunk of rows.
func (c *traceCursor) fetch(ctx context.Context) error {
	query, args := c.query()
	rows, err := c.s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("export trace: %w", err)
	}
	defer rows.Close()
	clear(c.buf)
	c.rows = c.buf[:0]
	for rows.Next() {
		var r traceRow
		if c.kind == traceVES {
			err = rows.Scan(&r.id, &r.receivedAt, &r.raw)
		} else {
			err = rows.Scan(&r.id, &r.receivedAt, &r.nodeID, &r.cellID, &r.collectStart, &r.granularityMs, &r.measurements)
		}
		if err != nil {
			return fmt.Errorf("export trace: %w", err)
		}
		c.rows = append(c.rows, r)
	}
	c.buf = c.rows
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export trace: %w", err)
	}
	if len(c.rows) < traceChunk {
		c.done = true
	}
	if len(c.rows) > 0 {
		last := c.rows[len(c.rows)-1]
		c.pos, c.started = cursor{receivedAt: last.receivedAt, id: last.id}, true
	}
	return nil
}

// query is the SQL of the next chunk: it walks the (source_name or
// node_id, received_at) index or the received_at one, in its order.
func (c *traceCursor) query() (string, []any) {
	var b strings.Builder
	var where []string
	var args []any
	if c.kind == traceVES {
		b.WriteString("SELECT id, received_at, raw FROM events")
		if c.filter.Source != "" {
			where = append(where, "source_name = ?")
			args = append(args, c.filter.Source)
		}
	} else {
		b.WriteString("SELECT id, received_at, node_id, cell_id, collect_start, granularity_ms, measurements FROM kpm_reports")
		if c.filter.Node != "" {
			where = append(where, "node_id = ?")
			args = append(args, c.filter.Node)
		}
	}
	if !c.filter.Since.IsZero() {
		where = append(where, "received_at >= ?")
		args = append(args, c.filter.Since.UnixMicro())
	}
	if !c.filter.Until.IsZero() {
		where = append(where, "received_at < ?")
		args = append(args, c.filter.Until.UnixMicro())
	}
	if c.started {
		// As Query's cursor, ascending.
		where = append(where, "received_at >= ? AND (received_at > ? OR id > ?)")
		args = append(args, c.pos.receivedAt, c.pos.receivedAt, c.pos.id)
	}
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY received_at, id LIMIT ?")
	args = append(args, traceChunk)
	return b.String(), args
}
