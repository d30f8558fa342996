package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// maxBatchEvents bounds how many events the writer gathers into one
// transaction from several requests (one request is never split).
const maxBatchEvents = 10000

// rowsPerInsert is how many rows one INSERT statement carries (14
// parameters each): fewer statement executions per transaction, which is
// where the writer spends most of its time.
const rowsPerInsert = 32

// insertSQL returns an INSERT of n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (
	received_at, domain, event_id, event_name, source_name,
	reporting_entity_name, priority, severity, stnd_defined_namespace,
	start_epoch_microsec, last_epoch_microsec, result, deviations, raw
) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// row is one event as the insert statement binds it. Rows are built in the
// caller's goroutine, so the writer does no encoding and shares no memory
// with the caller's events.
type row struct {
	receivedAt           int64
	domain               string
	eventID              string
	eventName            string
	sourceName           string
	reportingEntityName  string
	priority             string
	severity             string
	stndDefinedNamespace string
	startEpoch           int64
	lastEpoch            int64
	result               string
	deviations           any // nil or a JSON string
	raw                  string
}

// appendReq is one Append, AppendDecisions or Mark* waiting for the writer.
type appendReq struct {
	ctx       context.Context
	rows      []row
	decisions []decisionRow
	marks     []proposalMark
	done      chan error // buffered: the writer never blocks answering
	// err is the request's own error when its transaction commits (a mark
	// that found no proposal). Writer goroutine only.
	err error
}

// size is how many rows the request inserts or updates.
func (r *appendReq) size() int { return len(r.rows) + len(r.decisions) + len(r.marks) }

// Append stores events and returns once they are durable: committed in one
// transaction and the write-ahead log fsync'ed. Concurrent calls share
// transactions (group commit, see the package doc). An event without a
// ReceivedAt gets the store's clock; no event is refused for its age.
//
// When ctx ends before the writer took the request, nothing is stored; when
// it ends later, Append returns ctx's error without waiting and the events
// stay committed. Any error means the events may or may not be stored.
func (s *Store) Append(ctx context.Context, events []model.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows, err := s.rows(events)
	if err != nil {
		return err
	}
	return s.send(ctx, &appendReq{ctx: ctx, rows: rows, done: make(chan error, 1)}, "append")
}

// send hands req to the writer and waits for its commit (see Append).
func (s *Store) send(ctx context.Context, req *appendReq, op string) error {
	select {
	case s.reqs <- req:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	case <-s.writerDone:
		// The writer answers every request it took before it exits.
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

func (s *Store) rows(events []model.Event) ([]row, error) {
	now := s.opts.Now()
	rows := make([]row, len(events))
	for i := range events {
		e := &events[i]
		at := e.ReceivedAt
		if at.IsZero() {
			at = now
		}
		var deviations any
		if len(e.Deviations) > 0 {
			b, err := json.Marshal(e.Deviations)
			if err != nil {
				return nil, fmt.Errorf("append event %q: encode deviations: %w", e.EventID, err)
			}
			deviations = string(b)
		}
		rows[i] = row{
			receivedAt:           at.UnixMicro(),
			domain:               e.Domain,
			eventID:              e.EventID,
			eventName:            e.EventName,
			sourceName:           e.SourceName,
			reportingEntityName:  e.ReportingEntityName,
			priority:             e.Priority,
			severity:             e.Severity,
			stndDefinedNamespace: e.StndDefinedNamespace,
			startEpoch:           e.StartEpochMicrosec,
			lastEpoch:            e.LastEpochMicrosec,
			result:               string(e.Result),
			deviations:           deviations,
			raw:                  string(e.Raw),
		}
	}
	return rows, nil
}

// writeLoop is the single writer: it takes a request, drains what else is
// queued, commits the lot once and answers all of them. It also writes the
// KPM reports RecordKPM queued: a batch once kpmBatchRows wait, else
// kpmFlushInterval after the first one arrived. Under load a batch of
// appends and a KPM batch alternate, so an append waits behind at most one
// KPM batch and the KPM queue still drains while appends keep coming. On
// Close it commits what is still queued, writes the buffered reports and
// exits.
func (s *Store) writeLoop() {
	defer close(s.writerDone)
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	var flushC <-chan time.Time // non-nil while flush is armed
	kpmDue := false             // a KPM batch is to be written
	for {
		// Take stock of the KPM queue (RecordKPM's wake-ups only end an
		// idle wait): a full batch is due now, a partial one when the
		// flush timer fires.
		select {
		case <-flushC:
			flushC, kpmDue = nil, true
		default:
		}
		if n := s.kpm.len(); n >= kpmBatchRows {
			kpmDue = true
		} else if n > 0 && flushC == nil && !kpmDue {
			flush.Reset(kpmFlushInterval)
			flushC = flush.C
		}

		worked := false
		select {
		case first := <-s.reqs:
			s.commit(s.drain([]*appendReq{first}))
			worked = true
		default:
		}
		if kpmDue {
			kpmDue = false
			s.writeKPM()
			worked = true
		}
		if worked {
			select {
			case <-s.quit:
				s.finish()
				return
			default:
				continue
			}
		}

		select {
		case first := <-s.reqs:
			s.commit(s.drain([]*appendReq{first}))
		case <-s.kpmWake:
		case <-flushC:
			flushC, kpmDue = nil, true
		case <-s.quit:
			s.finish()
			return
		}
	}
}

// finish commits the appends still queued and writes the buffered KPM
// reports; RecordKPM drops what comes later.
func (s *Store) finish() {
	for {
		batch := s.drain(nil)
		if len(batch) == 0 {
			break
		}
		s.commit(batch)
	}
	s.kpm.close()
	for s.kpm.len() > 0 {
		s.writeKPM()
	}
}

// drain adds queued requests to batch without blocking, up to
// maxBatchEvents events.
func (s *Store) drain(batch []*appendReq) []*appendReq {
	n := 0
	for _, r := range batch {
		n += r.size()
	}
	for n < maxBatchEvents {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			n += r.size()
		default:
			return batch
		}
	}
	return batch
}

// commit writes the requests of a batch in one transaction and answers each.
// A request whose context already ended is answered with its error and not
// written: its caller has stopped waiting and reports a failure.
func (s *Store) commit(batch []*appendReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- fmt.Errorf("append: %w", err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if s.beforeCommit != nil {
		s.beforeCommit(len(live))
	}
	events, decisions, err := s.write(live)
	if err == nil {
		s.transactions.Add(1)
		s.events.Add(uint64(events))
		s.decisions.Add(uint64(decisions))
	}
	for _, r := range live {
		if err == nil {
			r.done <- r.err
			continue
		}
		r.done <- err
	}
}

// write inserts the rows of a batch in one transaction: events, then
// decisions (each queued for delivery beside its row), then the updates of
// queued proposals. It returns how many events and decisions it committed.
func (s *Store) write(batch []*appendReq) (events, decisions int, err error) {
	// Not a caller's context: one caller giving up must not abort the
	// transaction the others are waiting for.
	ctx := context.Background()
	if err := s.syncFull(ctx); err != nil {
		return 0, 0, fmt.Errorf("append: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("append: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	args := s.args[:0]
	pending := 0
	flush := func() error {
		if pending == 0 {
			return nil
		}
		if _, err := tx.StmtContext(ctx, s.inserts[pending]).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("append: insert %d events: %w", pending, err)
		}
		events += pending
		pending, args = 0, args[:0]
		return nil
	}
	for _, r := range batch {
		for i := range r.rows {
			w := &r.rows[i]
			args = append(args,
				w.receivedAt, w.domain, w.eventID, w.eventName, w.sourceName,
				w.reportingEntityName, w.priority, w.severity, w.stndDefinedNamespace,
				w.startEpoch, w.lastEpoch, w.result, w.deviations, w.raw)
			if pending++; pending == rowsPerInsert {
				if err := flush(); err != nil {
					return 0, 0, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return 0, 0, err
	}
	clear(args[:cap(args)]) // drop the references to the rows' strings
	s.args = args[:0]

	var insertDecision, insertProposal *sql.Stmt
	for _, r := range batch {
		for i := range r.decisions {
			if insertDecision == nil {
				insertDecision = tx.StmtContext(ctx, s.decisionInsert)
			}
			d := &r.decisions[i]
			if _, err := insertDecision.ExecContext(ctx,
				d.decisionID, d.at, d.cnf, d.action, d.rule, d.reason,
				d.suppressed, d.detail, d.correlationID, d.approval, d.intent); err != nil {
				return 0, 0, fmt.Errorf("append decisions: insert decision %q: %w", d.decisionID, err)
			}
			decisions++
			if d.queued == "" {
				continue
			}
			if insertProposal == nil {
				insertProposal = tx.StmtContext(ctx, s.proposalInsert)
			}
			// INSERT OR IGNORE: a decision recorded again is queued once.
			if _, err := insertProposal.ExecContext(ctx,
				d.decisionID, d.queued, d.cnf, d.action, d.queuedAt, d.queuedAt, d.queuedAt); err != nil {
				return 0, 0, fmt.Errorf("append decisions: queue decision %q: %w", d.decisionID, err)
			}
		}
	}
	if err := s.writeMarks(ctx, tx, batch); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("append: commit: %w", err)
	}
	return events, decisions, nil
}

// syncFull makes sure the write connection commits with synchronous=FULL
// again after a KPM batch (see writeKPM), before a commit whose callers
// count on it being durable.
func (s *Store) syncFull(ctx context.Context) error {
	if !s.syncNormal {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return fmt.Errorf("restore synchronous=FULL: %w", err)
	}
	s.syncNormal = false
	return nil
}

// prepare prepares the writer's statements. They are prepared up front: the
// write pool's single connection is busy inside the writer's transactions.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	if s.inserts, err = prepareInserts(ctx, s.w, insertSQL, rowsPerInsert); err != nil {
		return err
	}
	if s.kpmInserts, err = prepareInserts(ctx, s.w, kpmInsertSQL, kpmRowsPerInsert); err != nil {
		return err
	}
	if s.decisionInsert, err = s.w.PrepareContext(ctx, decisionInsertSQL); err != nil {
		return fmt.Errorf("prepare insert of a decision: %w", err)
	}
	if s.proposalInsert, err = s.w.PrepareContext(ctx, proposalInsertSQL); err != nil {
		return fmt.Errorf("prepare insert of a proposal: %w", err)
	}
	for k, query := range markSQL {
		if s.markStmts[k], err = s.w.PrepareContext(ctx, query); err != nil {
			return fmt.Errorf("prepare %s: %w", markOp[k], err)
		}
	}
	return nil
}

func (s *Store) closeStmts() error {
	return errors.Join(closeStmts(s.inserts), closeStmts(s.kpmInserts),
		closeStmts([]*sql.Stmt{s.decisionInsert, s.proposalInsert}), closeStmts(s.markStmts[:]))
}

// prepareInserts prepares the INSERTs of 1 to max rows that insertSQL
// returns, indexed by row count.
func prepareInserts(ctx context.Context, db *sql.DB, insertSQL func(n int) string, max int) ([]*sql.Stmt, error) {
	stmts := make([]*sql.Stmt, max+1)
	for n := 1; n <= max; n++ {
		st, err := db.PrepareContext(ctx, insertSQL(n))
		if err != nil {
			_ = closeStmts(stmts)
			return nil, fmt.Errorf("prepare insert of %d rows: %w", n, err)
		}
		stmts[n] = st
	}
	return stmts, nil
}

func closeStmts(stmts []*sql.Stmt) error {
	var errs []error
	for _, st := range stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
