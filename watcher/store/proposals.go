package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

const proposalInsertSQL = `INSERT OR IGNORE INTO proposals (
	decision_id, decision, cnf, action, state, attempts, next_attempt_at,
	ref, commit_id, merged, last_error, created_at, updated_at
) VALUES (?, ?, ?, ?, 'pending', 0, ?, '', '', 0, '', ?, ?)`

// markKind is one of the updates of a queued proposal; each has its
// prepared statement in Store.markStmts. Delivered and NoChange may be
// recorded again (a retried call finds its own earlier write); Failed only
// moves a pending proposal, Merged and Rejected a delivered one; Refused is
// NoChange's twin.
type markKind int

const (
	markDelivered markKind = iota
	markNoChange
	markFailed
	markMerged
	markRejected
	markRefused
	numMarks
)

var markSQL = [numMarks]string{
	markDelivered: `UPDATE proposals SET state = 'delivered', ref = ?, commit_id = ?, merged = max(merged, ?), last_error = ?, updated_at = ?
	WHERE decision_id = ? AND state IN ('pending', 'delivered')`,
	markNoChange: `UPDATE proposals SET state = 'nochange', last_error = ?, updated_at = ?
	WHERE decision_id = ? AND state IN ('pending', 'nochange')`,
	markFailed: `UPDATE proposals SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
	WHERE decision_id = ? AND state = 'pending'`,
	markMerged: `UPDATE proposals SET merged = 1, updated_at = ?
	WHERE decision_id = ? AND state = 'delivered'`,
	markRejected: `UPDATE proposals SET state = 'rejected', last_error = ?, updated_at = ?
	WHERE decision_id = ? AND state = 'delivered' AND merged = 0`,
	markRefused: `UPDATE proposals SET state = 'refused', last_error = ?, updated_at = ?
	WHERE decision_id = ? AND state IN ('pending', 'refused')`,
}

// notFound is how each mark says it found no row to update.
var notFound = [numMarks]string{
	markDelivered: "no pending or delivered proposal",
	markNoChange:  "no pending proposal",
	markFailed:    "no pending proposal",
	markMerged:    "no delivered proposal",
	markRejected:  "no delivered proposal open",
	markRefused:   "no pending proposal",
}

var markOp = [numMarks]string{
	markDelivered: "mark proposal delivered",
	markNoChange:  "mark proposal unchanged",
	markFailed:    "mark proposal failed",
	markMerged:    "mark proposal merged",
	markRejected:  "mark proposal rejected",
	markRefused:   "mark proposal refused",
}

// proposalMark is one update of a queued proposal as the writer binds it.
type proposalMark struct {
	kind markKind
	id   string
	args []any
}

// MarkDelivered records that the proposal of decision id was delivered as
// p (new, or found with Existed set): it leaves the pending ones. Its
// LastError becomes p.Note (empty: cleared). Calling it
// again for a delivered proposal updates it; Merged never goes back to
// false. Like AppendDecisions, it returns once the change is durable.
func (s *Store) MarkDelivered(ctx context.Context, id string, p model.Proposal) error {
	return s.mark(ctx, markDelivered, id, p.Ref, p.Commit, p.Merged, p.Note, s.opts.Now().UnixMicro(), id)
}

// MarkNoChange records that the proposal of decision id changes nothing
// (propose.ErrNoChange), with the reason: it is not retried.
func (s *Store) MarkNoChange(ctx context.Context, id, reason string) error {
	return s.mark(ctx, markNoChange, id, reason, s.opts.Now().UnixMicro(), id)
}

// MarkRefused records that the backend refused the proposal of decision
// id (propose.ErrRefused), with the reason: it is not retried.
func (s *Store) MarkRefused(ctx context.Context, id, reason string) error {
	return s.mark(ctx, markRefused, id, reason, s.opts.Now().UnixMicro(), id)
}

// MarkFailed records a failed delivery of the pending proposal of decision
// id: one more attempt, the error (which must hold no secret: it is stored
// and served) and when to try again.
func (s *Store) MarkFailed(ctx context.Context, id, err string, nextAttempt time.Time) error {
	return s.mark(ctx, markFailed, id, err, nextAttempt.UnixMicro(), s.opts.Now().UnixMicro(), id)
}

// MarkMerged records that the delivered proposal of decision id is on the
// deployment branch (approved after it was delivered): it leaves
// OpenProposals.
func (s *Store) MarkMerged(ctx context.Context, id string) error {
	return s.mark(ctx, markMerged, id, s.opts.Now().UnixMicro(), id)
}

// MarkRejected records that a reviewer turned down the delivered, unmerged
// proposal of decision id (detail says how, and by whom when known; it is
// stored and served). It leaves OpenProposals for Rejections, from now.
func (s *Store) MarkRejected(ctx context.Context, id, detail string) error {
	return s.mark(ctx, markRejected, id, detail, s.opts.Now().UnixMicro(), id)
}

// Rejections returns the proposals rejected at or after since, oldest
// first: the watcher holds their (CNF, action) for the rule's cooldown.
func (s *Store) Rejections(ctx context.Context, since time.Time) ([]model.Rejection, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	qs, err := s.queryProposals(ctx, selectProposalColumns+`
WHERE p.state = 'rejected' AND p.updated_at >= ?
ORDER BY p.updated_at, p.id`, since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("read rejected proposals: %w", err)
	}
	out := make([]model.Rejection, len(qs))
	for i, q := range qs {
		out[i] = model.Rejection{ID: q.Decision.ID, CNF: q.Decision.CNF, Action: q.Decision.Action, At: q.UpdatedAt, Detail: q.LastError}
	}
	return out, nil
}

// mark sends one update to the writer: it joins the next group commit like
// an Append.
func (s *Store) mark(ctx context.Context, kind markKind, id string, args ...any) error {
	req := &appendReq{ctx: ctx, marks: []proposalMark{{kind: kind, id: id, args: args}}, done: make(chan error, 1)}
	return s.send(ctx, req, markOp[kind])
}

// writeMarks runs the updates of batch in tx. An update that finds no row
// is that request's error, not the batch's.
func (s *Store) writeMarks(ctx context.Context, tx *sql.Tx, batch []*appendReq) error {
	var stmts [numMarks]*sql.Stmt
	for _, r := range batch {
		for i := range r.marks {
			m := &r.marks[i]
			if stmts[m.kind] == nil {
				stmts[m.kind] = tx.StmtContext(ctx, s.markStmts[m.kind])
			}
			res, err := stmts[m.kind].ExecContext(ctx, m.args...)
			if err != nil {
				return fmt.Errorf("%s %q: %w", markOp[m.kind], m.id, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("%s %q: %w", markOp[m.kind], m.id, err)
			} else if n == 0 {
				r.err = fmt.Errorf("%s: %s %q", markOp[m.kind], notFound[m.kind], m.id)
			}
		}
	}
	return nil
}

const selectProposalColumns = `SELECT p.decision, p.state, p.attempts, p.next_attempt_at, p.ref, p.commit_id,
	p.merged, p.last_error, p.created_at, p.updated_at
FROM proposals AS p`

// PendingProposals returns up to limit (<= 0: all) pending proposals due
// at now, oldest first (in the order their decisions were recorded). A
// CNF's proposals are delivered in that order: while its oldest pending
// proposal waits for its next attempt, the ones queued after it are not
// due either.
func (s *Store) PendingProposals(ctx context.Context, now time.Time, limit int) ([]model.QueuedProposal, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	query := selectProposalColumns + `
WHERE p.state = 'pending' AND p.next_attempt_at <= ?1
	AND NOT EXISTS (SELECT 1 FROM proposals AS q
		WHERE q.state = 'pending' AND q.cnf = p.cnf AND q.id < p.id AND q.next_attempt_at > ?1)
ORDER BY p.id LIMIT ?2`
	qs, err := s.queryProposals(ctx, query, now.UnixMicro(), noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read pending proposals: %w", err)
	}
	return qs, nil
}

// OpenProposals returns the proposals still open, oldest first: the pending
// ones and the delivered ones not merged. The watcher's ProposalOpen
// suppression reads them at start, before the Proposer's own State.
func (s *Store) OpenProposals(ctx context.Context) ([]model.QueuedProposal, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	query := selectProposalColumns + `
WHERE p.state = 'pending' OR (p.state = 'delivered' AND p.merged = 0)
ORDER BY p.id`
	qs, err := s.queryProposals(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read open proposals: %w", err)
	}
	return qs, nil
}

// Proposal returns the queued proposal of decision id; ok is false when
// there is none (never queued, or pruned).
func (s *Store) Proposal(ctx context.Context, id string) (q model.QueuedProposal, ok bool, err error) {
	if s.closed() {
		return model.QueuedProposal{}, false, ErrClosed
	}
	qs, err := s.queryProposals(ctx, selectProposalColumns+" WHERE p.decision_id = ?", id)
	if err != nil {
		return model.QueuedProposal{}, false, fmt.Errorf("read proposal %q: %w", id, err)
	}
	if len(qs) == 0 {
		return model.QueuedProposal{}, false, nil
	}
	return qs[0], true, nil
}

// ProposalCounts returns how many proposals wait for delivery (due or not):
// the planner_proposals_pending gauge.
func (s *Store) ProposalCounts(ctx context.Context) (pending int, err error) {
	if s.closed() {
		return 0, ErrClosed
	}
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM proposals WHERE state = 'pending'").Scan(&pending); err != nil {
		return 0, fmt.Errorf("count pending proposals: %w", err)
	}
	return pending, nil
}

func (s *Store) queryProposals(ctx context.Context, query string, args ...any) ([]model.QueuedProposal, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.QueuedProposal
	for rows.Next() {
		var (
			q                      model.QueuedProposal
			decision               []byte
			state                  string
			next, created, updated int64
			merged                 int
		)
		if err := rows.Scan(&decision, &state, &q.Attempts, &next, &q.Ref, &q.Commit,
			&merged, &q.LastError, &created, &updated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(decision, &q.Decision); err != nil {
			return nil, fmt.Errorf("decode queued decision: %w", err)
		}
		q.State = model.ProposalState(state)
		q.Merged = merged != 0
		q.NextAttempt = time.UnixMicro(next).UTC()
		q.CreatedAt = time.UnixMicro(created).UTC()
		q.UpdatedAt = time.UnixMicro(updated).UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// queuedDecision is the JSON the queue keeps of d, recorded at at
// (unix microseconds): what PendingProposals returns, equal to what
// Decisions reads back.
func queuedDecision(d *model.Decision, at int64) (string, error) {
	q := *d
	q.At = time.UnixMicro(at).UTC()
	b, err := json.Marshal(q)
	if err != nil {
		return "", fmt.Errorf("append decision %q: encode for the proposal queue: %w", d.ID, err)
	}
	return string(b), nil
}

// queues says whether AppendDecisions queues d for delivery: a decision,
// not a suppression, with an intent to propose.
func queues(d *model.Decision) bool { return d.Suppressed == "" && d.Intent != nil }
