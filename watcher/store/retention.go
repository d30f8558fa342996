package store

import (
	"context"
	"fmt"
	"time"
)

// defaultPruneChunk is how many rows one delete transaction removes, so a
// large prune never holds the write lock (and the appends behind it) for
// long.
const defaultPruneChunk = 5000

// pruned counts the rows one prune deleted.
type pruned struct {
	events, decisions, proposals, kpmReports int64
}

func (p pruned) total() int64 { return p.events + p.decisions + p.proposals + p.kpmReports }

// Prune deletes the events received and the decisions made before now minus
// Options.Retention, the delivered and unchanged proposals last updated
// before then (a pending proposal stays until it is delivered), and the KPM
// reports received before now minus Options.KPMRetention. It returns how
// many rows it deleted in all.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	p, err := s.prune(ctx)
	return p.total(), err
}

func (s *Store) prune(ctx context.Context) (pruned, error) {
	var p pruned
	if s.closed() {
		return p, ErrClosed
	}
	now := s.opts.Now()
	var err error
	if p.events, err = s.pruneTable(ctx, "events", "received_at", now.Add(-s.opts.Retention)); err != nil {
		return p, err
	}
	if p.decisions, err = s.pruneTable(ctx, "decisions", "at", now.Add(-s.opts.Retention)); err != nil {
		return p, err
	}
	if p.proposals, err = s.pruneProposals(ctx, now.Add(-s.opts.Retention)); err != nil {
		return p, err
	}
	p.kpmReports, err = s.pruneTable(ctx, "kpm_reports", "received_at", now.Add(-s.opts.KPMRetention))
	return p, err
}

// pruneTable deletes the rows of table whose column (unix microseconds) is
// before cutoff, in chunks of pruneChunk rows.
func (s *Store) pruneTable(ctx context.Context, table, column string, cutoff time.Time) (int64, error) {
	query := fmt.Sprintf(`DELETE FROM %[1]s WHERE id IN (SELECT id FROM %[1]s WHERE %[2]s < ? ORDER BY %[2]s LIMIT ?)`, table, column)
	return s.pruneChunks(ctx, table, query, cutoff)
}

// pruneProposals deletes the settled proposals (delivered, unchanged,
// rejected or refused)
// last updated before cutoff. Updated, not queued: a proposal delivered
// after a long outage is kept a full retention after its delivery.
func (s *Store) pruneProposals(ctx context.Context, cutoff time.Time) (int64, error) {
	const query = `DELETE FROM proposals WHERE id IN (SELECT id FROM proposals
	WHERE state IN ('delivered', 'nochange', 'rejected', 'refused') AND updated_at < ? LIMIT ?)`
	return s.pruneChunks(ctx, "proposals", query, cutoff)
}

// pruneChunks runs query (a DELETE taking the cutoff in unix microseconds
// and a row limit) until it deletes fewer than pruneChunk rows.
func (s *Store) pruneChunks(ctx context.Context, table, query string, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, query, cutoff.UnixMicro(), s.pruneChunk)
		if err != nil {
			return total, fmt.Errorf("prune %s before %s: %w", table, cutoff.UTC().Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
		if n < s.pruneChunk {
			return total, nil
		}
	}
}

// Run prunes at once and then every Options.PruneInterval until ctx ends
// (it then returns nil) or the store is closed (ErrClosed). A failed prune
// is logged and retried at the next tick.
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.opts.PruneInterval)
	defer t.Stop()
	for {
		p, err := s.prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !s.closed():
			s.opts.Logger.Error("prune", "err", err, "events", p.events, "decisions", p.decisions, "proposals", p.proposals, "kpmReports", p.kpmReports)
		case p.total() > 0:
			s.opts.Logger.Info("pruned", "events", p.events, "decisions", p.decisions, "proposals", p.proposals, "kpmReports", p.kpmReports,
				"retention", s.opts.Retention, "kpmRetention", s.opts.KPMRetention)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.quit:
			return ErrClosed
		case <-t.C:
		}
	}
}
