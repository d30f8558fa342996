package promsource_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/watcher/ingest/kpm/promsource"
	"github.com/nephoran/nephoran/watcher/model"
)

// kpimonQueries maps a kpimon-style exporter's series to 28.552 names.
var kpimonQueries = []promsource.Query{
	{Measurement: "RRU.PrbUsedDl", PromQL: `sum by (gnb, cell) (kpimon_prb_used_dl)`, NodeLabel: "gnb", CellLabel: "cell"},
	{Measurement: "RRU.PrbAvailDl", PromQL: `kpimon_prb_avail_dl`, NodeLabel: "gnb", CellLabel: "cell"},
}

// exporter serves a kpimon-style text exposition on 127.0.0.1 and returns
// its host:port.
func exporter(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// collector gathers what Run hands to ingest.
type collector struct {
	mu    sync.Mutex
	polls [][]model.KPMReport
}

func (c *collector) ingest(rs []model.KPMReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polls = append(c.polls, rs)
}

func (c *collector) last() []model.KPMReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.polls) == 0 {
		return nil
	}
	return c.polls[len(c.polls)-1]
}

// TestRunPullsFromARealPrometheus: a kpimon-style exporter, scraped by the
// real Prometheus server, becomes one KPMReport per (node, cell) per poll.
func TestRunPullsFromARealPrometheus(t *testing.T) {
	target := exporter(t, `# TYPE kpimon_prb_used_dl gauge
kpimon_prb_used_dl{gnb="gnb-009",cell="c1"} 42
kpimon_prb_used_dl{gnb="gnb-009",cell="c2"} 10
kpimon_prb_used_dl{gnb="gnb-009"} 7
# TYPE kpimon_prb_avail_dl gauge
kpimon_prb_avail_dl{gnb="gnb-009",cell="c1"} 100
`)
	base := testenv.StartPrometheus(t, []string{target}, time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	var c collector
	reg := prometheus.NewRegistry()
	done := make(chan error, 1)
	go func() {
		done <- promsource.Run(ctx, promsource.Config{URL: base, Interval: 500 * time.Millisecond, Queries: kpimonQueries, Registerer: reg}, c.ingest)
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	// The first scraped sample shows some seconds after Prometheus starts.
	deadline := time.Now().Add(60 * time.Second)
	var got []model.KPMReport
	for {
		got = c.last()
		if len(got) == 2 && len(got[0].Measurements) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Len(t, got, 2, "reports of the last poll: %+v", got)

	c1, c2 := got[0], got[1]
	require.Equal(t, "gnb-009", c1.NodeID)
	require.Equal(t, "c1", c1.CellID)
	require.ElementsMatch(t, []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 42}, {Name: "RRU.PrbAvailDl", Value: 100}}, c1.Measurements)
	require.Equal(t, 500*time.Millisecond, c1.GranularityPeriod)
	end := c1.CollectStart.Add(c1.GranularityPeriod)
	require.WithinDuration(t, time.Now(), end, 10*time.Second)
	require.False(t, c1.ReceivedAt.Before(end))

	// c2 has no RRU.PrbAvailDl series; the series without a cell label is left out.
	require.Equal(t, "gnb-009", c2.NodeID)
	require.Equal(t, "c2", c2.CellID)
	require.Equal(t, []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 10}}, c2.Measurements)
	require.Equal(t, c1.CollectStart, c2.CollectStart, "one poll, one instant")

	// The pull's own metrics: both queries answered, the last poll's three
	// samples went in and the series without a cell label was skipped.
	m := gather(t, reg)
	for _, q := range kpimonQueries {
		require.GreaterOrEqual(t, m[`kpm_prometheus_queries_total{measurement="`+q.Measurement+`",result="ok"}`], 1.0, q.Measurement)
		require.GreaterOrEqual(t, m[`kpm_prometheus_query_duration_seconds_count{measurement="`+q.Measurement+`"}`], 1.0, q.Measurement)
	}
	require.GreaterOrEqual(t, m[`kpm_prometheus_samples_total{result="ingested"}`], 3.0)
	require.GreaterOrEqual(t, m[`kpm_prometheus_samples_total{result="skipped"}`], 1.0)
	last := time.Unix(0, int64(m["kpm_prometheus_last_success_timestamp_seconds"]*1e9))
	require.WithinDuration(t, time.Now(), last, 10*time.Second)
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestRunExportsItsMetrics: queries by measurement and result, their
// durations, samples ingested and skipped, and the last poll in which every
// query answered, against an in-process Prometheus API.
func TestRunExportsItsMetrics(t *testing.T) {
	api := &fakeAPI{fail: 2}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	at := time.Date(2025, 1, 1, 0, 0, 30, 500_000_000, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	var c collector
	done := make(chan error, 1)
	go func() {
		done <- promsource.Run(ctx, promsource.Config{
			URL: srv.URL + "/prom", Interval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
			Queries:    kpimonQueries[:1],
			Now:        func() time.Time { return at },
			Registerer: reg,
		}, c.ingest)
	}()

	// The two failures are counted, then polls succeed.
	require.Eventually(t, func() bool {
		return gather(t, reg)[`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="error"}`] == 2
	}, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return c.last() != nil }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	m := gather(t, reg)
	ok := m[`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="ok"}`]
	require.GreaterOrEqual(t, ok, 1.0)
	want := map[string]float64{
		`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="error"}`: 2,
		`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="ok"}`:    ok,
		`kpm_prometheus_query_duration_seconds_count{measurement="RRU.PrbUsedDl"}`: ok + 2,
		`kpm_prometheus_samples_total{result="ingested"}`:                          ok,     // gnb-1/c1 each poll
		`kpm_prometheus_samples_total{result="skipped"}`:                           2 * ok, // its duplicate and the NaN
		"kpm_prometheus_last_success_timestamp_seconds":                            1735689630.5,
	}
	require.Equal(t, want, m)
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestRunRefusesARegistererTakenByAnotherPull: two pulls cannot share a
// Registerer; the first keeps its metrics.
func TestRunRefusesARegistererTakenByAnotherPull(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(&fakeAPI{})
	t.Cleanup(srv.Close)
	cfg := promsource.Config{URL: srv.URL + "/prom", Interval: time.Hour, Queries: kpimonQueries[:1], Registerer: reg}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- promsource.Run(ctx, cfg, func([]model.KPMReport) {}) }()
	require.Eventually(t, func() bool {
		return gather(t, reg)[`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="ok"}`] == 1
	}, 10*time.Second, time.Millisecond)

	err := promsource.Run(context.Background(), cfg, func([]model.KPMReport) { t.Error("ingest called") })
	require.ErrorContains(t, err, "prometheus pull: register metrics")
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, 1.0, gather(t, reg)[`kpm_prometheus_queries_total{measurement="RRU.PrbUsedDl",result="ok"}`])
}

// gather returns reg's counters and gauges by `name{label="value",...}`
// (labels sorted, as the registry gives them), and each histogram's
// sample count as name_count{...}.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name, v := mf.GetName(), m.GetCounter().GetValue()+m.GetGauge().GetValue()
			if h := m.GetHistogram(); h != nil {
				name, v = name+"_count", float64(h.GetSampleCount())
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = v
		}
	}
	return out
}

// fakeAPI answers /api/v1/query like Prometheus: the first fail requests
// with an error, then a vector; it counts requests and records their
// Authorization headers.
type fakeAPI struct {
	fail     int32
	requests atomic.Int32
	auth     atomic.Value
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	f.auth.Store(r.Header.Get("Authorization"))
	if r.URL.Path != "/prom/api/v1/query" || r.URL.Query().Get("time") == "" {
		http.Error(w, "unexpected "+r.URL.String(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if n <= f.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"TSDB not ready"}`)
		return
	}
	fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[
		{"metric":{"gnb":"gnb-1","cell":"c1"},"value":[1700000000.5,"3"]},
		{"metric":{"gnb":"gnb-1","cell":"c1","instance":"b"},"value":[1700000000.5,"4"]},
		{"metric":{"gnb":"gnb-1","cell":"c2"},"value":[1700000000.5,"NaN"]}]}}`)
}

// TestRunBacksOffOnErrorsAndRecovers: a Prometheus that fails at first is
// retried with growing delays, the failures are logged without the
// credentials of the URL, and once it answers reports flow.
func TestRunBacksOffOnErrorsAndRecovers(t *testing.T) {
	api := &fakeAPI{fail: 3}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	var c collector
	done := make(chan error, 1)
	go func() {
		done <- promsource.Run(ctx, promsource.Config{
			URL:      strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/prom/",
			Interval: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
			Queries: kpimonQueries[:1],
			Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		}, c.ingest)
	}()
	require.Eventually(t, func() bool { return c.last() != nil }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	require.Equal(t, "Basic "+basic("user", "s3cret"), api.auth.Load())
	out := logs.String()
	require.Contains(t, out, "TSDB not ready")
	// Interval doubled per failure, capped at MaxBackoff.
	require.Contains(t, out, "failures=1 retryIn=40ms")
	require.Contains(t, out, "failures=2 retryIn=80ms")
	require.Contains(t, out, "failures=3 retryIn=80ms")
	require.NotContains(t, out, "s3cret")

	// The duplicate (node, cell) series and the NaN are left out.
	got := c.last()
	require.Len(t, got, 1)
	require.Equal(t, model.KPMReport{
		NodeID: "gnb-1", CellID: "c1",
		CollectStart: got[0].CollectStart, GranularityPeriod: 20 * time.Millisecond,
		Measurements: []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 3}},
		ReceivedAt:   got[0].ReceivedAt,
	}, got[0])
	require.Contains(t, out, "left out")
}

func TestRunRefusesABadConfigNamingTheField(t *testing.T) {
	ok := promsource.Query{Measurement: "RRU.PrbUsedDl", PromQL: "x", NodeLabel: "gnb", CellLabel: "cell"}
	for _, tc := range []struct {
		name, want string
		cfg        promsource.Config
	}{
		{"no URL", "url: required", promsource.Config{Interval: time.Second, Queries: []promsource.Query{ok}}},
		{"not http", `url: "ftp://x" is not`, promsource.Config{URL: "ftp://x", Interval: time.Second, Queries: []promsource.Query{ok}}},
		{"password is masked", `url: "//user:xxxxx@" is not`, promsource.Config{URL: "//user:pw@", Interval: time.Second, Queries: []promsource.Query{ok}}},
		{"no interval", "interval: must be positive", promsource.Config{URL: "http://p:9090", Queries: []promsource.Query{ok}}},
		{"no queries", "queries: at least one", promsource.Config{URL: "http://p:9090", Interval: time.Second}},
		{"measurement twice", `queries[1].measurement: "RRU.PrbUsedDl" is pulled twice`, promsource.Config{URL: "http://p:9090", Interval: time.Second, Queries: []promsource.Query{ok, ok}}},
		{"no PromQL", "queries[0].promql: required", promsource.Config{URL: "http://p:9090", Interval: time.Second, Queries: []promsource.Query{{Measurement: "m", NodeLabel: "a", CellLabel: "b"}}}},
		{"bad label", `queries[0].cellLabel: "cell-id" is not a label name`, promsource.Config{URL: "http://p:9090", Interval: time.Second, Queries: []promsource.Query{{Measurement: "m", PromQL: "x", NodeLabel: "a", CellLabel: "cell-id"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A config that passes would poll until the context ends.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := promsource.Run(ctx, tc.cfg, func([]model.KPMReport) { t.Error("ingest called") })
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "pw@")
		})
	}
}

// TestRunStopsWhileBackingOff: cancelling the context ends Run at once,
// also when Prometheus is unreachable.
func TestRunStopsWhileBackingOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- promsource.Run(ctx, promsource.Config{URL: "http://" + addr, Interval: time.Hour, Queries: kpimonQueries}, func([]model.KPMReport) {})
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
