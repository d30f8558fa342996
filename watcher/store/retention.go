package store

import (
	"context"
	"fmt"
	"time"
)

// defaultPruneChunk is how many events one delete transaction removes, so
// a large prune never holds the write lock (and the appends behind it) for
// long.
const defaultPruneChunk = 5000

// Prune deletes the events received before now minus the retention and
// returns how many it deleted.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if s.closed() {
		return 0, ErrClosed
	}
	cutoff := s.opts.Now().Add(-s.opts.Retention).UnixMicro()
	var total int64
	for {
		res, err := s.w.ExecContext(ctx,
			`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
			cutoff, s.pruneChunk)
		if err != nil {
			return total, fmt.Errorf("prune events before %s: %w", time.UnixMicro(cutoff).UTC().Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune events: %w", err)
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
		n, err := s.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !s.closed():
			s.opts.Logger.Error("prune events", "err", err, "deleted", n)
		case n > 0:
			s.opts.Logger.Info("pruned events", "deleted", n, "retention", s.opts.Retention)
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
