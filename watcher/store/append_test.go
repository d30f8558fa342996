package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// TestGroupCommitBatches holds the writer before its first commit while 50
// goroutines append one event each: nothing may return before its commit,
// and the queued appends must share one transaction.
func TestGroupCommitBatches(t *testing.T) {
	const appenders = 50
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})

	release := make(chan struct{})
	var firstBatch atomic.Int64
	var once sync.Once
	s.beforeCommit = func(requests int) {
		once.Do(func() {
			firstBatch.Store(int64(requests))
			<-release
		})
	}

	var returned atomic.Int64
	errs := make(chan error, appenders)
	var wg sync.WaitGroup
	for i := range appenders {
		wg.Go(func() {
			id := fmt.Sprintf("g-%d", i)
			err := s.Append(ctx, []model.Event{testEvent(id, "src-"+id, "fault", "MAJOR", t0)})
			returned.Add(1)
			if err == nil {
				// Returned means committed: a reader already sees it.
				p, qerr := s.Query(ctx, Query{Source: "src-" + id})
				if qerr == nil && len(p.Items) != 1 {
					qerr = fmt.Errorf("event %s not visible after Append returned", id)
				}
				err = qerr
			}
			errs <- err
		})
	}

	// Every request is either in the held batch or queued behind it.
	require.Eventually(t, func() bool {
		return firstBatch.Load() > 0 && int(firstBatch.Load())+len(s.reqs) == appenders
	}, 10*time.Second, time.Millisecond)
	require.Zero(t, returned.Load(), "an Append returned before its commit")
	require.Zero(t, s.Stats().Transactions)

	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := s.Stats()
	require.Equal(t, uint64(appenders), st.Events)
	require.LessOrEqual(t, st.Transactions, uint64(2), "the queued appends must share a transaction")
	require.Len(t, all(t, s, Query{Limit: MaxLimit}), appenders)
}

// TestGroupCommitUnderLoad appends from 50 goroutines without holding the
// writer: every event is stored once and transactions are fewer than
// appends.
func TestGroupCommitUnderLoad(t *testing.T) {
	const appenders, each = 50, 10
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})

	var wg sync.WaitGroup
	errs := make(chan error, appenders*each)
	for g := range appenders {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("g%d-%d", g, i)
				errs <- s.Append(ctx, []model.Event{testEvent(id, "du-1", "fault", "MAJOR", t0)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := s.Stats()
	require.Equal(t, uint64(appenders*each), st.Events)
	require.Less(t, st.Transactions, uint64(appenders*each))
	t.Logf("%d appends in %d transactions", appenders*each, st.Transactions)

	ids := eventIDs(all(t, s, Query{Limit: MaxLimit}))
	require.Len(t, ids, appenders*each)
	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
	}
}

func TestAppendContext(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})

	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	s.beforeCommit = func(int) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}

	// A is taken by the writer, which then holds before committing it; A
	// gives up waiting: it fails, but its commit goes on and A stays.
	ctxA, cancelA := context.WithCancel(ctx)
	errA := make(chan error, 1)
	go func() {
		errA <- s.Append(ctxA, []model.Event{testEvent("a", "du-1", "fault", "MAJOR", t0)})
	}()
	<-entered
	cancelA()
	require.ErrorIs(t, <-errA, context.Canceled)

	// B queues behind it and gives up before the writer takes it: B fails
	// and is not written.
	ctxB, cancelB := context.WithCancel(ctx)
	errB := make(chan error, 1)
	go func() {
		errB <- s.Append(ctxB, []model.Event{testEvent("b", "du-1", "fault", "MAJOR", t0)})
	}()
	require.Eventually(t, func() bool { return len(s.reqs) == 1 }, 10*time.Second, time.Millisecond)
	cancelB()
	require.ErrorIs(t, <-errB, context.Canceled)

	// C arrives with its context already ended: not written either.
	ctxC, cancelC := context.WithCancel(ctx)
	cancelC()
	require.ErrorIs(t, s.Append(ctxC, []model.Event{testEvent("c", "du-1", "fault", "MAJOR", t0)}), context.Canceled)

	close(release)
	// D waits behind B and C; once it returns, they have all been handled.
	require.NoError(t, s.Append(ctx, []model.Event{testEvent("d", "du-1", "fault", "MAJOR", t0)}))
	require.Equal(t, []string{"d", "a"}, eventIDs(all(t, s, Query{})))
}

func TestAppendKeepsEveryField(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	full := model.Event{
		ReceivedAt:           t0.Add(1500 * time.Microsecond),
		Domain:               "stndDefined",
		EventID:              "sd-1",
		EventName:            "stndDefined_gNB_notifyNewAlarm",
		SourceName:           "gnb-7",
		ReportingEntityName:  "oam-7",
		Priority:             "Normal",
		StartEpochMicrosec:   1_700_000_000_000_001,
		LastEpochMicrosec:    1_700_000_000_000_002,
		StndDefinedNamespace: "3GPP-FaultSupervision",
		Severity:             "",
		Result:               model.Lenient,
		Deviations:           []string{"startEpochMicrosec: string -> integer", "vesEventListenerVersion: missing -> 7.2.1"},
		Raw:                  []byte(`{"commonEventHeader":{"domain":"stndDefined"},"stndDefinedFields":{"data":{"a":"<b>"}}}`),
	}
	noTime := testEvent("no-time", "gnb-7", "fault", "MINOR", time.Time{})
	require.NoError(t, s.Append(ctx, []model.Event{full, noTime}))

	got := all(t, s, Query{})
	require.Len(t, got, 2)
	require.Equal(t, full, got[0])
	require.Equal(t, t0, got[1].ReceivedAt, "an event without ReceivedAt gets the store's clock")
	require.Nil(t, got[1].Deviations)
}
