package store

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// testReport is a report of five measurements from node's cell, received
// at at, for the second before it.
func testReport(node, cell string, at time.Time) model.KPMReport {
	return model.KPMReport{
		NodeID:            node,
		CellID:            cell,
		CollectStart:      at.Add(-time.Second + 123*time.Nanosecond),
		GranularityPeriod: time.Second,
		Measurements: []model.Measurement{
			{Name: "RRU.PrbUsedDl", Value: 42},
			{Name: "RRU.PrbAvailDl", Value: 58},
			{Name: "RRU.PrbTotDl", Value: 0.42},
			{Name: "DRB.RlcSduDelayDl", Value: 1.5},
			{Name: "RRC.ConnMean", Value: 17},
		},
		ReceivedAt: at,
	}
}

// kpmCount is the number of rows in kpm_reports.
func kpmCount(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.r.QueryRow("SELECT count(*) FROM kpm_reports").Scan(&n))
	return n
}

// holdWriter blocks the writer goroutine inside an Append until the
// returned release is called.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	entered, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.beforeCommit = func(int) {
		once.Do(func() {
			close(entered)
			<-done
		})
	}
	appended := make(chan error, 1)
	go func() {
		appended <- s.Append(context.Background(), []model.Event{testEvent("hold", "du-1", "fault", "MAJOR", t0)})
	}()
	<-entered
	return func() {
		close(done)
		require.NoError(t, <-appended)
	}
}

func TestRecordKPMWritesBatches(t *testing.T) {
	tests := []struct {
		name         string
		reports, per int
	}{
		{"one report waits for the flush interval", 1, 1},
		{"a push of many reports", 3*kpmBatchRows + 7, 3*kpmBatchRows + 7},
		{"many pushes", 5000, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, t.TempDir(), Options{})
			for i := 0; i < tc.reports; i += tc.per {
				batch := make([]model.KPMReport, 0, tc.per)
				for j := i; j < min(tc.reports, i+tc.per); j++ {
					batch = append(batch, testReport(fmt.Sprintf("gnb-%d", j%10), fmt.Sprintf("cell-%d", j), t0))
				}
				s.RecordKPM(batch)
			}
			require.Eventually(t, func() bool { return s.Stats().KPMReports == uint64(tc.reports) }, 10*time.Second, time.Millisecond)
			st := s.Stats()
			require.Zero(t, st.KPMDropped)
			require.Zero(t, st.KPMWriteFailed)
			require.LessOrEqual(t, st.KPMTransactions, uint64(tc.reports/kpmBatchRows+tc.reports/tc.per+1))
			require.Equal(t, tc.reports, kpmCount(t, s))
			require.Zero(t, st.Transactions, "KPM batches are not Append transactions")
		})
	}
}

func TestRecordKPMDropsWhenFull(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{KPMBuffer: 10})
	release := holdWriter(t, s)

	reports := make([]model.KPMReport, 15)
	for i := range reports {
		reports[i] = testReport("gnb-1", fmt.Sprintf("cell-%d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	s.RecordKPM(reports) // never blocks, even with the writer held
	require.Equal(t, uint64(5), s.Stats().KPMDropped, "what does not fit is dropped")
	s.RecordKPM(reports[:1])
	require.Equal(t, uint64(6), s.Stats().KPMDropped)

	release()
	require.Eventually(t, func() bool { return s.Stats().KPMReports == 10 }, 10*time.Second, time.Millisecond)
	var got []string
	for _, l := range traceSummary(t, s, TraceFilter{Source: "nope"}) {
		got = append(got, l[len(l)-7:])
	}
	require.Equal(t, []string{"/cell-0", "/cell-1", "/cell-2", "/cell-3", "/cell-4", "/cell-5", "/cell-6", "/cell-7", "/cell-8", "/cell-9"}, got,
		"the oldest are kept")

	// There is room again.
	s.RecordKPM(reports[10:])
	require.Eventually(t, func() bool { return s.Stats().KPMReports == 15 }, 10*time.Second, time.Millisecond)
	require.Equal(t, uint64(6), s.Stats().KPMDropped)
}

func TestCloseWritesBufferedKPM(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	release := holdWriter(t, s)
	for i := range 300 {
		s.RecordKPM([]model.KPMReport{testReport("gnb-1", fmt.Sprintf("cell-%d", i), t0)})
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	release()
	require.NoError(t, <-closed)
	require.Equal(t, uint64(300), s.Stats().KPMReports)

	s.RecordKPM([]model.KPMReport{testReport("gnb-1", "late", t0)})
	require.Equal(t, uint64(1), s.Stats().KPMDropped, "after Close a report is dropped, and counted")

	s = openTest(t, dir, Options{})
	require.Equal(t, 300, kpmCount(t, s))
}

// TestKPMBatchesKeepAppendsDurable: KPM batches commit at
// synchronous=NORMAL; the connection must be back at FULL for the next
// Append.
func TestKPMBatchesKeepAppendsDurable(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	for i := range 3 {
		s.RecordKPM([]model.KPMReport{testReport("gnb-1", "cell-1", t0)})
		require.Eventually(t, func() bool { return s.Stats().KPMReports == uint64(i+1) }, 10*time.Second, time.Millisecond)
		require.NoError(t, s.Append(ctx, []model.Event{testEvent(fmt.Sprintf("e%d", i), "du-1", "fault", "MAJOR", t0)}))
		var sync string
		require.NoError(t, s.w.QueryRow("PRAGMA synchronous").Scan(&sync))
		require.Equal(t, "2", sync, "synchronous=FULL")
	}
}

func TestRecordKPMStoresEveryField(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	r := testReport("gnb-\"1\"", "cell-é", t0.Add(1500*time.Microsecond))
	r.CollectStart = time.Date(2026, 3, 1, 13, 0, 0, 999_999_999, time.FixedZone("CET", 3600))
	r.GranularityPeriod = 1500 * time.Microsecond
	r.Measurements = append(r.Measurements,
		model.Measurement{Name: `odd"name\`, Value: 1e-7},
		model.Measurement{Name: "big", Value: 1e21},
		model.Measurement{Name: "nan", Value: math.NaN()},
		model.Measurement{Name: "inf", Value: math.Inf(1)},
	)
	noTime := testReport("gnb-2", "cell-1", time.Time{})
	noTime.CollectStart = time.Time{}
	noTime.GranularityPeriod = 0
	noTime.Measurements = nil
	s.RecordKPM([]model.KPMReport{r, noTime})
	require.NoError(t, s.Close())

	s = openTest(t, s.dir, Options{})
	type stored struct {
		receivedAt, collectStart, granularityMs int64
		node, cell, measurements                string
	}
	rows, err := s.r.Query("SELECT received_at, node_id, cell_id, collect_start, granularity_ms, measurements FROM kpm_reports ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var got []stored
	for rows.Next() {
		var g stored
		require.NoError(t, rows.Scan(&g.receivedAt, &g.node, &g.cell, &g.collectStart, &g.granularityMs, &g.measurements))
		got = append(got, g)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []stored{
		{
			receivedAt: t0.UnixMicro() + 1500, node: `gnb-"1"`, cell: "cell-é",
			collectStart: r.CollectStart.UnixNano(), granularityMs: 2,
			measurements: `[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRU.PrbAvailDl","value":58},{"name":"RRU.PrbTotDl","value":0.42},` +
				`{"name":"DRB.RlcSduDelayDl","value":1.5},{"name":"RRC.ConnMean","value":17},{"name":"odd\"name\\","value":1e-7},` +
				`{"name":"big","value":1e+21},{"name":"nan","value":null},{"name":"inf","value":null}]`,
		},
		{receivedAt: t0.UnixMicro(), node: "gnb-2", cell: "cell-1", collectStart: 0, granularityMs: 0, measurements: `[]`},
	}, got)
}

func TestKPMQueue(t *testing.T) {
	rows := func(ids ...int64) []kpmRow {
		out := make([]kpmRow, len(ids))
		for i, id := range ids {
			out[i] = kpmRow{receivedAt: id}
		}
		return out
	}
	ids := func(rs []kpmRow) []int64 {
		out := []int64{}
		for _, r := range rs {
			out = append(out, r.receivedAt)
		}
		return out
	}
	q := kpmQueue{capacity: 5}
	require.Empty(t, q.pop(nil, 10), "empty")
	require.Equal(t, 3, q.push(rows(1, 2, 3)))
	require.Equal(t, []int64{1, 2}, ids(q.pop(nil, 2)))
	require.Equal(t, 4, q.push(rows(4, 5, 6, 7, 8)), "one more than fits, across the end of the ring")
	require.Equal(t, 5, q.len())
	require.Equal(t, 0, q.push(rows(9)), "full")
	require.Equal(t, []int64{3, 4, 5}, ids(q.pop(nil, 3)))
	require.Equal(t, 2, q.push(rows(10, 11)))
	require.Equal(t, []int64{6, 7, 10, 11}, ids(q.pop(nil, 10)))
	require.Zero(t, q.len())
	q.close()
	require.Equal(t, 0, q.push(rows(12)), "closed")
	for _, r := range q.ring {
		require.Zero(t, r, "popped slots are cleared")
	}
}
