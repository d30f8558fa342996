package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// Page sizes of Query.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ErrBadCursor is returned by Query for a cursor it did not issue.
var ErrBadCursor = errors.New("bad cursor")

// Query selects stored events. Empty fields do not filter.
type Query struct {
	// Source, Domain and Severity match sourceName, domain and the fault or
	// threshold-crossing severity exactly.
	Source, Domain, Severity string
	// Since (inclusive) and Until (exclusive) bound ReceivedAt.
	Since, Until time.Time
	// Limit is the page size: DefaultLimit when <= 0, at most MaxLimit.
	Limit int
	// Cursor is a Page's NextCursor, to read the page after it.
	Cursor string
}

// Page is one page of a Query, newest event first.
type Page struct {
	Items []model.Event
	// NextCursor reads the next (older) page; empty on the last page.
	NextCursor string
}

// cursor is the keyset position after the last item of a page: events are
// ordered by (received_at, id) descending, and the id breaks ties between
// events received in the same microsecond.
type cursor struct {
	receivedAt int64
	id         int64
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte("v1." + strconv.FormatInt(c.receivedAt, 10) + "." + strconv.FormatInt(c.id, 10)))
}

func parseCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return cursor{}, ErrBadCursor
	}
	at, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return cursor{}, ErrBadCursor
	}
	return cursor{receivedAt: at, id: id}, nil
}

const selectColumns = `SELECT id, received_at, domain, event_id, event_name, source_name,
	reporting_entity_name, priority, severity, stnd_defined_namespace,
	start_epoch_microsec, last_epoch_microsec, result, deviations, raw
FROM events`

// buildQuery returns the SQL and arguments of q, reading limit+1 rows to
// learn whether another page follows.
func buildQuery(q Query, limit int) (string, []any, error) {
	var where []string
	var args []any
	if q.Source != "" {
		where = append(where, "source_name = ?")
		args = append(args, q.Source)
	}
	if q.Domain != "" {
		where = append(where, "domain = ?")
		args = append(args, q.Domain)
	}
	if q.Severity != "" {
		where = append(where, "severity = ?")
		args = append(args, q.Severity)
	}
	if !q.Since.IsZero() {
		where = append(where, "received_at >= ?")
		args = append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		where = append(where, "received_at < ?")
		args = append(args, q.Until.UnixMicro())
	}
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return "", nil, err
		}
		// The plain upper bound lets the index range scan start at the
		// cursor; the OR skips the rows of its microsecond already read.
		where = append(where, "received_at <= ? AND (received_at < ? OR id < ?)")
		args = append(args, c.receivedAt, c.receivedAt, c.id)
	}
	var b strings.Builder
	b.WriteString(selectColumns)
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY received_at DESC, id DESC LIMIT ?")
	args = append(args, limit+1)
	return b.String(), args, nil
}

// Query returns one page of the events matching q, newest first (by
// ReceivedAt, then by the order they were stored).
func (s *Store) Query(ctx context.Context, q Query) (Page, error) {
	if s.closed() {
		return Page{}, ErrClosed
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	query, args, err := buildQuery(q, limit)
	if err != nil {
		return Page{}, fmt.Errorf("query events: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()

	page := Page{Items: make([]model.Event, 0, min(limit, 64))}
	var last cursor
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextCursor = last.String()
			break
		}
		e, c, err := scanEvent(rows)
		if err != nil {
			return Page{}, fmt.Errorf("query events: %w", err)
		}
		page.Items = append(page.Items, e)
		last = c
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("query events: %w", err)
	}
	return page, nil
}

func scanEvent(rows *sql.Rows) (model.Event, cursor, error) {
	var (
		e          model.Event
		c          cursor
		result     string
		deviations sql.NullString
		raw        []byte
	)
	if err := rows.Scan(&c.id, &c.receivedAt, &e.Domain, &e.EventID, &e.EventName, &e.SourceName,
		&e.ReportingEntityName, &e.Priority, &e.Severity, &e.StndDefinedNamespace,
		&e.StartEpochMicrosec, &e.LastEpochMicrosec, &result, &deviations, &raw); err != nil {
		return model.Event{}, cursor{}, err
	}
	e.ReceivedAt = time.UnixMicro(c.receivedAt).UTC()
	e.Result = model.Result(result)
	if deviations.Valid {
		if err := json.Unmarshal([]byte(deviations.String), &e.Deviations); err != nil {
			return model.Event{}, cursor{}, fmt.Errorf("event %d: decode deviations: %w", c.id, err)
		}
	}
	if len(raw) > 0 {
		e.Raw = raw
	}
	return e, c, nil
}

// RecentEvents returns the newest limit events received at or after since,
// oldest first: what the watcher reads after a restart to rebuild its dedup
// state. limit <= 0 means no limit.
func (s *Store) RecentEvents(ctx context.Context, since time.Time, limit int) ([]model.Event, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	rows, err := s.r.QueryContext(ctx, selectColumns+" WHERE received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?",
		since.UnixMicro(), noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read recent events: %w", err)
	}
	defer rows.Close()
	var events []model.Event
	for rows.Next() {
		e, _, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("read recent events: %w", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read recent events: %w", err)
	}
	slices.Reverse(events)
	return events, nil
}
