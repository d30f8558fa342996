package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// v1Schema is the schema SQL of version 1 as it was released, to create the
// databases TestMigrateV1 upgrades (not migrations[0], which a mistaken edit
// could change together with the code under test).
const v1Schema = `
CREATE TABLE IF NOT EXISTS events (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at            INTEGER NOT NULL, -- unix microseconds
	domain                 TEXT    NOT NULL,
	event_id               TEXT    NOT NULL,
	event_name             TEXT    NOT NULL,
	source_name            TEXT    NOT NULL,
	reporting_entity_name  TEXT    NOT NULL,
	priority               TEXT    NOT NULL,
	severity               TEXT    NOT NULL,
	stnd_defined_namespace TEXT    NOT NULL,
	start_epoch_microsec   INTEGER NOT NULL,
	last_epoch_microsec    INTEGER NOT NULL,
	result                 TEXT    NOT NULL,
	deviations             TEXT,             -- JSON array of strings, NULL when none
	raw                    TEXT    NOT NULL  -- the event object as received
);
CREATE INDEX IF NOT EXISTS events_source_received ON events (source_name, received_at);
CREATE INDEX IF NOT EXISTS events_domain_received ON events (domain, received_at);
CREATE INDEX IF NOT EXISTS events_received        ON events (received_at);
`

// createV1 creates a version 1 database in dir, as the v1 code did, holding
// events e1 and e2.
func createV1(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName)+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(v1Schema + "PRAGMA user_version = 1;")
	require.NoError(t, err)
	for i, id := range []string{"e1", "e2"} {
		_, err = db.Exec(`INSERT INTO events (received_at, domain, event_id, event_name, source_name,
	reporting_entity_name, priority, severity, stnd_defined_namespace,
	start_epoch_microsec, last_epoch_microsec, result, deviations, raw)
	VALUES (?, 'fault', ?, 'Fault_gNB_LinkDown', 'du-1', 'ves-agent', 'High', 'MAJOR', '', 1, 2, 'accepted', NULL, '{}')`,
			t0.Add(time.Duration(i)*time.Second).UnixMicro(), id)
		require.NoError(t, err)
	}
}

// tables lists the tables and indexes of db, each with its SQL.
func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT name || ': ' || sql FROM sqlite_schema WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

func TestSchemaVersionIsTheLastMigration(t *testing.T) {
	require.Len(t, migrations, schemaVersion)
}

func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	createV1(t, dir)

	s := openTest(t, dir, Options{})
	v, err := userVersion(ctx, s.w)
	require.NoError(t, err)
	require.Equal(t, schemaVersion, v)

	// The v1 events are still there, and the v2 tables work.
	require.Equal(t, []string{"e2", "e1"}, eventIDs(all(t, s, Query{})))
	require.NoError(t, s.Append(ctx, []model.Event{testEvent("e3", "du-1", "fault", "MAJOR", t0.Add(time.Minute))}))
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision("d1", "upf-1", "scale-out", "", t0)}))
	s.RecordKPM([]model.KPMReport{testReport("gnb-1", "cell-1", t0)})
	require.NoError(t, s.Close())

	// A migrated database has the same schema as a new one.
	s = openTest(t, dir, Options{})
	require.Equal(t, []string{"e3", "e2", "e1"}, eventIDs(all(t, s, Query{})))
	p, err := s.Decisions(ctx, DecisionQuery{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	require.Equal(t, []string{"kpm " + t0.Format(time.RFC3339Nano) + " gnb-1/cell-1"}, traceSummary(t, s, TraceFilter{Source: "nope"}))

	fresh := openTest(t, t.TempDir(), Options{})
	require.Equal(t, tables(t, fresh.w), tables(t, s.w))
}

func TestMigrateIsAtomic(t *testing.T) {
	// A migration that fails half way leaves the database at version 1,
	// without the tables it had created.
	dir := t.TempDir()
	createV1(t, dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE kpm_reports (x INTEGER)") // v2 creates it after decisions
	require.NoError(t, err)

	_, err = Open(context.Background(), dir, Options{})
	require.ErrorContains(t, err, "migrate schema from version 1 to 2")
	v, err := userVersion(context.Background(), db)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	for _, table := range tables(t, db) {
		require.False(t, strings.HasPrefix(table, "decisions"), table)
	}
}

// TestOpenBesideARunningStore opens a second Store on the directory of one
// that keeps appending, as `nephoran trace export` does beside a running
// watcher: the second reads what the first committed and neither fails.
func TestOpenBesideARunningStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	watcher := openTest(t, dir, Options{})
	stop := make(chan struct{})
	appendErr := make(chan error, 1)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				appendErr <- nil
				return
			default:
			}
			if err := watcher.Append(ctx, []model.Event{testEvent(fmt.Sprintf("w%d", n), "du-1", "fault", "MAJOR", t0)}); err != nil {
				appendErr <- err
				return
			}
		}
	}()
	require.Eventually(t, func() bool { return watcher.Stats().Events >= 50 }, 10*time.Second, time.Millisecond)

	for range 3 {
		cli, err := Open(ctx, dir, Options{})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(all(t, cli, Query{Limit: MaxLimit})), 50)
		var out strings.Builder
		_, err = cli.ExportTrace(ctx, &out, TraceFilter{})
		require.NoError(t, err)
		require.NoError(t, cli.Close())
	}
	before := watcher.Stats().Events
	require.Eventually(t, func() bool { return watcher.Stats().Events > before+50 }, 10*time.Second, time.Millisecond,
		"the running store keeps appending after the other closed")
	close(stop)
	require.NoError(t, <-appendErr)
}
