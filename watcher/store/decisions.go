package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// SuppressedNone as DecisionQuery.Suppressed selects decisions only (no
// suppressions).
const SuppressedNone = "none"

const decisionInsertSQL = `INSERT INTO decisions (
	decision_id, at, cnf, action, rule, reason, suppressed, detail, correlation_id, approval, intent
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// decisionRow is one decision as the insert binds it, built in the caller's
// goroutine like row.
type decisionRow struct {
	decisionID    string
	at            int64
	cnf           string
	action        string
	rule          string
	reason        string
	suppressed    string
	detail        string
	correlationID string
	approval      string
	intent        any // nil or a JSON string
	// queued is the decision as the proposal queue keeps it (JSON), empty
	// when it is not queued (a suppression); queuedAt is when it was queued
	// (unix microseconds).
	queued   string
	queuedAt int64
}

// AppendDecisions records decisions and suppressions and returns once they
// are durable, like Append: they ride the same writer and group commit as
// the VES events (one more INSERT in a transaction that is committed
// anyway), so they neither wait behind nor hold up a separate writer. A
// decision without At gets the store's clock. Times are kept to the
// microsecond.
//
// Each decision (not a suppression: Suppressed empty and Intent set) is
// also queued for delivery in the same transaction, so a decision recorded
// is a decision queued. The queue is keyed by the decision id: a decision
// recorded again is queued once (see PendingProposals).
func (s *Store) AppendDecisions(ctx context.Context, ds []model.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	now := s.opts.Now()
	rows := make([]decisionRow, len(ds))
	for i := range ds {
		d := &ds[i]
		at := d.At
		if at.IsZero() {
			at = now
		}
		var intent any
		if d.Intent != nil {
			b, err := json.Marshal(d.Intent)
			if err != nil {
				return fmt.Errorf("append decision %q: encode intent: %w", d.ID, err)
			}
			intent = string(b)
		}
		rows[i] = decisionRow{
			decisionID:    d.ID,
			at:            at.UnixMicro(),
			cnf:           d.CNF,
			action:        string(d.Action),
			rule:          d.Rule,
			reason:        d.Reason,
			suppressed:    string(d.Suppressed),
			detail:        d.Detail,
			correlationID: d.CorrelationID,
			approval:      string(d.Approval),
			intent:        intent,
		}
		if queues(d) {
			q, err := queuedDecision(d, rows[i].at)
			if err != nil {
				return err
			}
			rows[i].queued, rows[i].queuedAt = q, now.UnixMicro()
		}
	}
	return s.send(ctx, &appendReq{ctx: ctx, decisions: rows, done: make(chan error, 1)}, "append decisions")
}

// DecisionQuery selects recorded decisions. Empty fields do not filter.
type DecisionQuery struct {
	// CNF, Rule and Action match exactly.
	CNF, Rule, Action string
	// Suppressed is a suppression reason (model.Suppression) to select the
	// suppressions for it, or SuppressedNone to select decisions only.
	Suppressed string
	// Since (inclusive) and Until (exclusive) bound At.
	Since, Until time.Time
	// Limit is the page size: DefaultLimit when <= 0, at most MaxLimit.
	Limit int
	// Cursor is a DecisionPage's NextCursor, to read the page after it.
	Cursor string
}

// DecisionPage is one page of a DecisionQuery, newest first.
type DecisionPage struct {
	Items []model.Decision
	// NextCursor reads the next (older) page; empty on the last page.
	NextCursor string
}

const selectDecisionColumns = `SELECT id, decision_id, at, cnf, action, rule, reason, suppressed,
	detail, correlation_id, approval, intent
FROM decisions`

// buildDecisionQuery returns the SQL and arguments of q, reading limit+1
// rows to learn whether another page follows. The same keyset as the
// events: (at, id) descending.
func buildDecisionQuery(q DecisionQuery, limit int) (string, []any, error) {
	var where []string
	var args []any
	for _, f := range []struct{ column, value string }{
		{"cnf", q.CNF}, {"rule", q.Rule}, {"action", q.Action},
	} {
		if f.value != "" {
			where = append(where, f.column+" = ?")
			args = append(args, f.value)
		}
	}
	switch q.Suppressed {
	case "":
	case SuppressedNone:
		where = append(where, "suppressed = ''")
	default:
		where = append(where, "suppressed = ?")
		args = append(args, q.Suppressed)
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, q.Until.UnixMicro())
	}
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "at <= ? AND (at < ? OR id < ?)")
		args = append(args, c.receivedAt, c.receivedAt, c.id)
	}
	var b strings.Builder
	b.WriteString(selectDecisionColumns)
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY at DESC, id DESC LIMIT ?")
	args = append(args, limit+1)
	return b.String(), args, nil
}

// Decisions returns one page of the decisions and suppressions matching q,
// newest first (by At, then by the order they were recorded).
func (s *Store) Decisions(ctx context.Context, q DecisionQuery) (DecisionPage, error) {
	if s.closed() {
		return DecisionPage{}, ErrClosed
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	query, args, err := buildDecisionQuery(q, limit)
	if err != nil {
		return DecisionPage{}, fmt.Errorf("query decisions: %w", err)
	}
	items, next, err := s.queryDecisions(ctx, query, args, limit)
	if err != nil {
		return DecisionPage{}, fmt.Errorf("query decisions: %w", err)
	}
	page := DecisionPage{Items: items}
	if next != nil {
		page.NextCursor = next.String()
	}
	return page, nil
}

// RecentDecisions returns the newest limit decisions and suppressions made
// at or after since, oldest first: what the watcher reads after a restart
// to rebuild its dedup and cooldown state. limit <= 0 means no limit.
func (s *Store) RecentDecisions(ctx context.Context, since time.Time, limit int) ([]model.Decision, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	query := selectDecisionColumns + " WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?"
	items, _, err := s.queryDecisions(ctx, query, []any{since.UnixMicro(), noLimit(limit)}, -1)
	if err != nil {
		return nil, fmt.Errorf("read recent decisions: %w", err)
	}
	slices.Reverse(items)
	return items, nil
}

// noLimit turns a limit <= 0 into SQLite's "no limit".
func noLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// queryDecisions runs query and scans its rows. With limit >= 0 it stops
// after limit items and, when another row follows, returns the cursor of
// the last item.
func (s *Store) queryDecisions(ctx context.Context, query string, args []any, limit int) ([]model.Decision, *cursor, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	items := make([]model.Decision, 0, 16)
	var last cursor
	for rows.Next() {
		if len(items) == limit {
			return items, &last, rows.Close()
		}
		d, c, err := scanDecision(rows)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, d)
		last = c
	}
	return items, nil, rows.Err()
}

func scanDecision(rows *sql.Rows) (model.Decision, cursor, error) {
	var (
		d                            model.Decision
		c                            cursor
		action, suppressed, approval string
		intent                       []byte
	)
	if err := rows.Scan(&c.id, &d.ID, &c.receivedAt, &d.CNF, &action, &d.Rule, &d.Reason, &suppressed,
		&d.Detail, &d.CorrelationID, &approval, &intent); err != nil {
		return model.Decision{}, cursor{}, err
	}
	d.At = time.UnixMicro(c.receivedAt).UTC()
	d.Action = nephv1.Action(action)
	d.Suppressed = model.Suppression(suppressed)
	d.Approval = nephv1.Approval(approval)
	if intent != nil {
		d.Intent = new(nephv1.CNFIntent)
		if err := json.Unmarshal(intent, d.Intent); err != nil {
			return model.Decision{}, cursor{}, fmt.Errorf("decision %d: decode intent: %w", c.id, err)
		}
	}
	return d, c, nil
}
