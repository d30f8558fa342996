package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

const (
	// kpmBatchRows is the most reports one KPM transaction writes; the
	// writer writes at once when that many wait. It bounds how long a KPM
	// batch holds up the appends queued behind it: 500 rows take 3 to 5 ms
	// (at 10,000 reports a second, 20 transactions a second).
	kpmBatchRows = 500
	// kpmFlushInterval is how long the first buffered report waits for
	// others before the writer writes a batch that is not full.
	kpmFlushInterval = 200 * time.Millisecond
	// kpmRowsPerInsert is how many rows one KPM INSERT carries (6
	// parameters each).
	kpmRowsPerInsert = 64
)

// kpmInsertSQL returns an INSERT of n KPM reports.
func kpmInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO kpm_reports (
	received_at, node_id, cell_id, collect_start, granularity_ms, measurements
) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// kpmRow is one report as the insert binds it.
type kpmRow struct {
	receivedAt    int64 // unix µs
	nodeID        string
	cellID        string
	collectStart  int64 // unix ns
	granularityMs int64
	measurements  string // JSON
}

// RecordKPM queues KPM reports for the trace export and returns at once:
// it never blocks on the database. The writer goroutine writes them in
// batches (one transaction of up to kpmBatchRows reports, at once when a
// batch is full, else within kpmFlushInterval) between the commits of
// Append, at synchronous=NORMAL: KPM ingest acknowledges from memory, so a
// batch lost to a power cut within the second is acceptable, and an fsync
// per batch would only delay the appends waiting behind it. When
// Options.KPMBuffer reports are already queued, or the store is closed, the
// reports that do not fit are dropped and counted in Stats().KPMDropped.
// Close writes what is queued.
//
// A report without ReceivedAt gets the store's clock. Times are kept to
// the microsecond (ReceivedAt) and the nanosecond (CollectStart), the
// granularity period to the millisecond; a measurement value that is not a
// finite number is kept as "no value".
func (s *Store) RecordKPM(reports []model.KPMReport) {
	if len(reports) == 0 {
		return
	}
	rows := kpmRows(reports, s.opts.Now)
	if dropped := len(rows) - s.kpm.push(rows); dropped > 0 {
		s.kpmDropped.Add(uint64(dropped))
	}
	select {
	case s.kpmWake <- struct{}{}:
	default:
	}
}

// kpmRows encodes reports as rows. The measurements of all of them are
// encoded into one string the rows share (one allocation, not one per
// report).
func kpmRows(reports []model.KPMReport, now func() time.Time) []kpmRow {
	rows := make([]kpmRow, len(reports))
	n := 0
	for i := range reports {
		n += 2 + 32*len(reports[i].Measurements)
	}
	buf := make([]byte, 0, n)
	ends := make([]int, len(reports))
	var received int64
	for i := range reports {
		r := &reports[i]
		at := r.ReceivedAt
		if at.IsZero() {
			if received == 0 {
				received = now().UnixMicro()
			}
			rows[i].receivedAt = received
		} else {
			rows[i].receivedAt = at.UnixMicro()
		}
		rows[i].nodeID = r.NodeID
		rows[i].cellID = r.CellID
		if !r.CollectStart.IsZero() {
			rows[i].collectStart = r.CollectStart.UnixNano()
		}
		rows[i].granularityMs = granularityMs(r.GranularityPeriod)
		buf = model.AppendMeasurementsJSON(buf, r.Measurements)
		ends[i] = len(buf)
	}
	all := string(buf)
	start := 0
	for i, end := range ends {
		rows[i].measurements = all[start:end]
		start = end
	}
	return rows
}

// granularityMs is d in whole milliseconds, rounded, at least 1 when d is
// positive; 0 for none. (model.KPMReport.MarshalJSON rounds the same way.)
func granularityMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return max(1, int64((d+time.Millisecond/2)/time.Millisecond))
}

// writeKPM writes up to kpmBatchRows queued reports in one transaction.
// Writer goroutine only.
func (s *Store) writeKPM() {
	s.kpmBatch = s.kpm.pop(s.kpmBatch[:0], kpmBatchRows)
	rows := s.kpmBatch
	if len(rows) > 0 {
		err := s.insertKPM(rows)
		if err != nil {
			s.kpmFailed.Add(uint64(len(rows)))
			s.opts.Logger.Error("record KPM reports", "err", err, "reports", len(rows))
		} else {
			s.kpmTx.Add(1)
			s.kpmWritten.Add(uint64(len(rows)))
		}
		clear(rows) // drop the references to the rows' strings
	}
}

// insertKPM commits rows in one transaction at synchronous=NORMAL (no
// fsync; the next Append's commit at FULL syncs the WAL, these frames
// included) and sets FULL again.
func (s *Store) insertKPM(rows []kpmRow) (err error) {
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return fmt.Errorf("set synchronous=NORMAL: %w", err)
	}
	s.syncNormal = true
	defer func() {
		// Append checks again before its commit (syncFull): a failure here
		// costs the KPM batch nothing.
		if ferr := s.syncFull(ctx); ferr != nil {
			s.opts.Logger.Warn("record KPM reports", "err", ferr)
		}
	}()

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	args := s.args[:0]
	for len(rows) > 0 {
		n := min(len(rows), kpmRowsPerInsert)
		for i := range rows[:n] {
			r := &rows[i]
			args = append(args, r.receivedAt, r.nodeID, r.cellID, r.collectStart, r.granularityMs, r.measurements)
		}
		if _, err := tx.StmtContext(ctx, s.kpmInserts[n]).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert %d reports: %w", n, err)
		}
		args = args[:0]
		rows = rows[n:]
	}
	clear(args[:cap(args)])
	s.args = args[:0]
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// kpmQueue is the bounded FIFO between RecordKPM and the writer: a ring
// buffer allocated at the first push (a store that records no KPM reports
// spends nothing on it).
type kpmQueue struct {
	mu       sync.Mutex
	capacity int
	ring     []kpmRow
	head, n  int
	closed   bool
}

// push appends as many of rows as fit and returns how many; none after
// close.
func (q *kpmQueue) push(rows []kpmRow) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0
	}
	if q.ring == nil {
		q.ring = make([]kpmRow, q.capacity)
	}
	k := min(len(rows), q.capacity-q.n)
	tail := (q.head + q.n) % q.capacity
	c := copy(q.ring[tail:], rows[:k])
	copy(q.ring, rows[c:k])
	q.n += k
	return k
}

// pop appends up to max of the oldest rows to dst and removes them.
func (q *kpmQueue) pop(dst []kpmRow, max int) []kpmRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(max, q.n)
	if k == 0 {
		return dst
	}
	end := q.head + k
	if end <= q.capacity {
		dst = append(dst, q.ring[q.head:end]...)
		clear(q.ring[q.head:end])
	} else {
		dst = append(dst, q.ring[q.head:]...)
		dst = append(dst, q.ring[:end-q.capacity]...)
		clear(q.ring[q.head:])
		clear(q.ring[:end-q.capacity])
	}
	q.head = end % q.capacity
	q.n -= k
	return dst
}

func (q *kpmQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// close makes every later push refuse its rows.
func (q *kpmQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
