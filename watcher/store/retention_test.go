package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func TestPrune(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name      string
		retention time.Duration
		received  map[string]time.Duration // event id -> age at t0
		kept      []string                 // newest first
	}{
		{
			name:      "default retention is seven days",
			retention: 0,
			received: map[string]time.Duration{
				"month-old": 30 * day, "just-over": 7*day + time.Microsecond, "exactly": 7 * day,
				"just-under": 7*day - time.Second, "fresh": 0, "future": -time.Hour,
			},
			kept: []string{"future", "fresh", "just-under", "exactly"},
		},
		{
			name:      "custom retention",
			retention: time.Hour,
			received:  map[string]time.Duration{"old": 2 * time.Hour, "new": time.Minute},
			kept:      []string{"new"},
		},
		{
			name:      "nothing to prune",
			retention: day,
			received:  map[string]time.Duration{"a": time.Hour, "b": 2 * time.Hour},
			kept:      []string{"a", "b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t, t.TempDir(), Options{Retention: tc.retention})
			var events []model.Event
			for id, age := range tc.received {
				events = append(events, testEvent(id, "du-1", "fault", "MAJOR", t0.Add(-age)))
			}
			// Old events are accepted: age is only the pruner's business.
			require.NoError(t, s.Append(ctx, events))
			require.Len(t, all(t, s, Query{}), len(events))

			n, err := s.Prune(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(len(events)-len(tc.kept)), n)
			require.Equal(t, tc.kept, eventIDs(all(t, s, Query{})))
		})
	}
}

func TestPruneManyChunks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{Retention: time.Hour})
	s.pruneChunk = 7
	const old = 7*5 + 3
	events := make([]model.Event, 0, old+3)
	for i := range old {
		events = append(events, testEvent("old", "du-1", "fault", "MAJOR", t0.Add(-2*time.Hour-time.Duration(i)*time.Millisecond)))
	}
	for range 3 {
		events = append(events, testEvent("new", "du-1", "fault", "MAJOR", t0))
	}
	require.NoError(t, s.Append(ctx, events))
	n, err := s.Prune(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(old), n)
	require.Equal(t, []string{"new", "new", "new"}, eventIDs(all(t, s, Query{})))
}

func TestRunPrunes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var now atomicTime
	now.set(t0)
	s := openTest(t, t.TempDir(), Options{Retention: time.Hour, PruneInterval: 10 * time.Millisecond, Now: now.get})
	require.NoError(t, s.Append(ctx, []model.Event{
		testEvent("a", "du-1", "fault", "MAJOR", t0),
		testEvent("b", "du-1", "fault", "MAJOR", t0.Add(30*time.Minute)),
	}))

	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// Time passes: a, then b, fall out of the retention at a later tick.
	now.set(t0.Add(61 * time.Minute))
	require.Eventually(t, func() bool { return len(all(t, s, Query{})) == 1 }, 10*time.Second, 5*time.Millisecond)
	now.set(t0.Add(91 * time.Minute))
	require.Eventually(t, func() bool { return len(all(t, s, Query{})) == 0 }, 10*time.Second, 5*time.Millisecond)

	cancel()
	require.NoError(t, <-done)
}

func TestRunStopsOnClose(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{PruneInterval: time.Hour})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	require.NoError(t, s.Close())
	require.ErrorIs(t, <-done, ErrClosed)
}

// atomicTime is a fake clock the test moves while Run reads it.
type atomicTime struct{ v atomic.Int64 }

func (a *atomicTime) set(t time.Time) { a.v.Store(t.UnixNano()) }
func (a *atomicTime) get() time.Time  { return time.Unix(0, a.v.Load()).UTC() }

func TestPruneDecisionsAndKPM(t *testing.T) {
	const hour = time.Hour
	tests := []struct {
		name                   string
		opts                   Options
		ages                   []time.Duration // of an event, a decision and a KPM report each
		events, decisions, kpm int             // kept
		pruned                 int64
	}{
		{
			name:   "defaults: seven days for events and decisions, a day for KPM reports",
			ages:   []time.Duration{8 * 24 * hour, 25 * hour, 23 * hour, 0},
			events: 3, decisions: 3, kpm: 2, pruned: 1 + 1 + 2,
		},
		{
			name:   "KPMRetention apart from Retention",
			opts:   Options{Retention: 2 * hour, KPMRetention: 30 * time.Minute},
			ages:   []time.Duration{3 * hour, hour, 10 * time.Minute},
			events: 2, decisions: 2, kpm: 1, pruned: 1 + 1 + 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t, t.TempDir(), tc.opts)
			s.pruneChunk = 1 // several chunks per table
			for i, age := range tc.ages {
				at := t0.Add(-age)
				id := fmt.Sprintf("x%d", i)
				require.NoError(t, s.Append(ctx, []model.Event{testEvent(id, "du-1", "fault", "MAJOR", at)}))
				require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision(id, "upf-1", "prb-high", "", at)}))
				s.RecordKPM([]model.KPMReport{testReport("gnb-1", id, at)})
			}
			require.Eventually(t, func() bool { return s.Stats().KPMReports == uint64(len(tc.ages)) }, 10*time.Second, time.Millisecond)

			n, err := s.Prune(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.pruned, n)
			require.Len(t, all(t, s, Query{}), tc.events)
			require.Len(t, allDecisions(t, s, DecisionQuery{}), tc.decisions)
			require.Equal(t, tc.kpm, kpmCount(t, s))
		})
	}
}
