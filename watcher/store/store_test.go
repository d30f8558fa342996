package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// t0 is the fake "now" of the tests, on a whole microsecond as the store
// keeps times.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	s, err := Open(context.Background(), dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testEvent is a fault event from source, received at.
func testEvent(id, source, domain, severity string, at time.Time) model.Event {
	raw := fmt.Sprintf(`{"commonEventHeader":{"domain":%q,"eventId":%q,"eventName":"Fault_gNB_LinkDown","sourceName":%q,`+
		`"reportingEntityName":"ves-agent","priority":"High","sequence":0,"startEpochMicrosec":%d,"lastEpochMicrosec":%d,`+
		`"version":"4.1","vesEventListenerVersion":"7.2.1"},"faultFields":{"faultFieldsVersion":"4.0","alarmCondition":"linkDown",`+
		`"eventSeverity":%q,"eventSourceType":"gNB","specificProblem":"F1 link down","vfStatus":"Active"}}`,
		domain, id, source, at.UnixMicro()-5, at.UnixMicro()-1, severity)
	return model.Event{
		ReceivedAt:          at,
		Domain:              domain,
		EventID:             id,
		EventName:           "Fault_gNB_LinkDown",
		SourceName:          source,
		ReportingEntityName: "ves-agent",
		Priority:            "High",
		StartEpochMicrosec:  at.UnixMicro() - 5,
		LastEpochMicrosec:   at.UnixMicro() - 1,
		Severity:            severity,
		Result:              model.Accepted,
		Raw:                 []byte(raw),
	}
}

// all reads every stored event through Query, page by page.
func all(t testing.TB, s *Store, q Query) []model.Event {
	t.Helper()
	var out []model.Event
	for {
		p, err := s.Query(context.Background(), q)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

func eventIDs(events []model.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.EventID
	}
	return ids
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"creates a missing directory and its parents", func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "data", "nested")
		}},
		{"uses an existing empty directory", func(t *testing.T) string { return t.TempDir() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			s := openTest(t, dir, Options{})
			require.FileExists(t, filepath.Join(dir, FileName))

			var mode, sync string
			require.NoError(t, s.w.QueryRow("PRAGMA journal_mode").Scan(&mode))
			require.NoError(t, s.w.QueryRow("PRAGMA synchronous").Scan(&sync))
			require.Equal(t, "wal", mode)
			require.Equal(t, "2", sync, "synchronous=FULL")
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	_, err := s.w.Exec("PRAGMA user_version = 99")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(context.Background(), dir, Options{})
	require.ErrorContains(t, err, "schema version 99")
}

func TestReopenFindsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	var want []string
	for i := range 3 {
		batch := make([]model.Event, 0, 20)
		for j := range 20 {
			id := fmt.Sprintf("ev-%d-%d", i, j)
			batch = append(batch, testEvent(id, "du-1", "fault", "MAJOR", t0.Add(time.Duration(i*20+j)*time.Second)))
			want = append(want, id)
		}
		require.NoError(t, s.Append(ctx, batch))
	}
	before := all(t, s, Query{Limit: 7})
	require.NoError(t, s.Close())

	s2 := openTest(t, dir, Options{})
	after := all(t, s2, Query{Limit: 7})
	require.ElementsMatch(t, want, eventIDs(after))
	require.Equal(t, before, after)

	// The reopened store keeps appending after the old ids.
	require.NoError(t, s2.Append(ctx, []model.Event{testEvent("late", "du-1", "fault", "MAJOR", t0.Add(time.Hour))}))
	require.Len(t, all(t, s2, Query{}), len(want)+1)
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	require.NoError(t, s.Ping(ctx), "an open store is ready")
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Ping(ctx), ErrClosed)
	require.NoError(t, s.Close(), "Close twice")

	require.ErrorIs(t, s.Append(ctx, []model.Event{testEvent("x", "du-1", "fault", "MAJOR", t0)}), ErrClosed)
	_, err := s.Query(ctx, Query{})
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.Prune(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		os.Exit(crashHelper(dir))
	}
	os.Exit(m.Run())
}

// TestCloseDuringAppends closes the store under concurrent appends: each
// Append either succeeds, and its event is found after reopening, or says
// the store is closed.
func TestCloseDuringAppends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	var mu sync.Mutex
	acked := map[string]bool{}
	unexpected := make(chan error, 20)
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			for n := 0; ; n++ {
				id := fmt.Sprintf("g%d-%d", g, n)
				err := s.Append(ctx, []model.Event{testEvent(id, "du-1", "fault", "MAJOR", t0)})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					unexpected <- err
					return
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		})
	}
	require.Eventually(t, func() bool { return s.Stats().Events >= 200 }, 10*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	wg.Wait()
	close(unexpected)
	for err := range unexpected {
		require.NoError(t, err)
	}

	s2 := openTest(t, dir, Options{})
	stored := map[string]bool{}
	for _, id := range eventIDs(all(t, s2, Query{Limit: MaxLimit})) {
		stored[id] = true
	}
	for id := range acked {
		require.True(t, stored[id], "acknowledged %s lost by Close", id)
	}
}
