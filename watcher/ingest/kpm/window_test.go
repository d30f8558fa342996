package kpm

import (
	"github.com/prometheus/client_golang/prometheus"

	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// step is one moment of a timeline: set the clock, ingest reports, then
// check the readout.
type step struct {
	at      time.Duration // the clock, from t0
	ingest  []model.KPMReport
	missing bool               // Snapshot finds no node
	start   time.Duration      // the readout window's start, from t0
	closed  bool               // the readout window is closed
	stale   bool               // the readout is stale
	metrics map[string]float64 // the node's metrics
	cells   []string           // the cells in the readout window
}

func runTimeline(t *testing.T, steps []step) *Ingester {
	t.Helper()
	in, clk, _ := newTestIngester(0)
	for _, s := range steps {
		clk.at(s.at)
		in.Ingest(s.ingest)
		nw, ok := in.Snapshot("gnb-001")
		if s.missing {
			require.False(t, ok, "t=%v: want no node", s.at)
			continue
		}
		require.True(t, ok, "t=%v", s.at)
		require.Equal(t, t0.Add(s.start), nw.Start, "t=%v: window start", s.at)
		require.Equal(t, t0.Add(s.start+30*time.Second), nw.End, "t=%v: window end", s.at)
		require.Equal(t, s.closed, nw.Closed, "t=%v: closed", s.at)
		require.Equal(t, s.stale, nw.Stale, "t=%v: stale", s.at)
		requireMetrics(t, s.metrics, nw.Metrics)
		cells := make([]string, 0, len(nw.Cells))
		for id := range nw.Cells {
			cells = append(cells, id)
		}
		require.ElementsMatch(t, s.cells, cells, "t=%v: cells", s.at)
	}
	return in
}

func prbReport(cellID string, at time.Duration, used float64) model.KPMReport {
	return report("gnb-001", cellID, at, prb(used, 100)...)
}

func TestWindowTimelines(t *testing.T) {
	s := time.Second
	util := func(v float64) map[string]float64 { return map[string]float64{PRBUtilization: v} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"rollover: the next window starts empty, the closed one shows until it has samples", []step{
			{at: 0, missing: true},
			{at: 1 * s, ingest: []model.KPMReport{prbReport("c1", 0, 40)}, start: 0, metrics: util(0.4), cells: []string{"c1"}},
			{at: 29 * s, ingest: []model.KPMReport{prbReport("c1", 28*s, 60)}, start: 0, metrics: util(0.5), cells: []string{"c1"}},
			// t=30 s: the clock is in the next window, which has no samples yet.
			{at: 30 * s, start: 0, closed: true, metrics: util(0.5), cells: []string{"c1"}},
			// The report of the last period [29 s, 30 s) arrives after the window's end: still counted.
			{at: 30500 * time.Millisecond, ingest: []model.KPMReport{prbReport("c1", 29*s, 80)}, start: 0, closed: true, metrics: util(0.6), cells: []string{"c1"}},
			// A sample of [30 s, 60 s) opens the new window, which alone is shown.
			{at: 31 * s, ingest: []model.KPMReport{prbReport("c1", 30*s, 90)}, start: 30 * s, metrics: util(0.9), cells: []string{"c1"}},
		}},
		{"a window is aligned to the epoch, not to the first sample", []step{
			{at: 50 * s, ingest: []model.KPMReport{prbReport("c1", 47*s, 10)}, start: 30 * s, metrics: util(0.1), cells: []string{"c1"}},
			{at: 61 * s, ingest: []model.KPMReport{prbReport("c1", 60*s, 20)}, start: 60 * s, metrics: util(0.2), cells: []string{"c1"}},
		}},
		{"samples late for the current window but within the last closed one are not shown by Snapshot", []step{
			{at: 31 * s, ingest: []model.KPMReport{prbReport("c1", 0, 10), prbReport("c1", 30*s, 50)}, start: 30 * s, metrics: util(0.5), cells: []string{"c1"}},
			{at: 32 * s, ingest: []model.KPMReport{prbReport("c1", 29*s, 90)}, start: 30 * s, metrics: util(0.5), cells: []string{"c1"}},
		}},
		{"a silent gap: the newest window with samples stays until stale", []step{
			{at: 10 * s, ingest: []model.KPMReport{prbReport("c1", 9*s, 30)}, start: 0, metrics: util(0.3), cells: []string{"c1"}},
			{at: 95 * s, start: 0, closed: true, metrics: util(0.3), cells: []string{"c1"}},
			// newest sample ends at 10 s: 100 s is 90 s later, not yet more than 90 s.
			{at: 100 * s, start: 0, closed: true, metrics: util(0.3), cells: []string{"c1"}},
			{at: 100*s + time.Millisecond, start: 0, closed: true, stale: true, metrics: util(0.3), cells: []string{"c1"}},
			// Fresh data ends the staleness.
			{at: 121 * s, ingest: []model.KPMReport{prbReport("c1", 120*s, 70)}, start: 120 * s, metrics: util(0.7), cells: []string{"c1"}},
		}},
		{"node window: the newest window among the cells; cells still in an older one are left out", []step{
			{at: 29 * s, ingest: []model.KPMReport{prbReport("c1", 28*s, 20), prbReport("c2", 28*s, 40)}, start: 0, metrics: util(0.3), cells: []string{"c1", "c2"}},
			{at: 30500 * time.Millisecond, ingest: []model.KPMReport{prbReport("c1", 30*s, 80)}, start: 30 * s, metrics: util(0.8), cells: []string{"c1"}},
			{at: 31 * s, ingest: []model.KPMReport{prbReport("c2", 30*s, 60)}, start: 30 * s, metrics: util(0.7), cells: []string{"c1", "c2"}},
		}},
		{"a report more than one window ahead of the clock is dropped", []step{
			{at: 0, ingest: []model.KPMReport{prbReport("c1", 31*s, 50)}, missing: true},
			{at: 1 * s, ingest: []model.KPMReport{prbReport("c1", 31*s, 50)}, start: 30 * s, metrics: util(0.5), cells: []string{"c1"}},
		}},
		{"nodes are forgotten 10 minutes after their newest sample", []step{
			{at: 1 * s, ingest: []model.KPMReport{prbReport("c1", 0, 50)}, start: 0, metrics: util(0.5), cells: []string{"c1"}},
			{at: 601 * s, start: 0, closed: true, stale: true, metrics: util(0.5), cells: []string{"c1"}},
			{at: 601*s + time.Millisecond, missing: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runTimeline(t, tt.steps) })
	}
}

func TestLateSamples(t *testing.T) {
	s := time.Second
	in, clk, _ := newTestIngester(91 * s)
	in.Ingest([]model.KPMReport{prbReport("c1", 0, 10)})     // window 0
	in.Ingest([]model.KPMReport{prbReport("c1", 60*s, 20)})  // window 2; window 0 becomes the last closed
	in.Ingest([]model.KPMReport{prbReport("c1", 30*s, 30)})  // window 1: newer than the last closed, replaces it
	in.Ingest([]model.KPMReport{prbReport("c1", 29*s, 40)})  // window 0: older than the last closed: late
	in.Ingest([]model.KPMReport{prbReport("c1", 31*s, 50)})  // window 1 again
	in.Ingest([]model.KPMReport{prbReport("c1", 90*s, 100)}) // window 3: window 2 is the last closed

	clk.at(120 * s)
	closed, ok := in.LastClosed("gnb-001")
	require.True(t, ok)
	require.Equal(t, t0.Add(90*s), closed.Start, "window 3 is over at t=120 s")
	requireMetrics(t, map[string]float64{PRBUtilization: 1}, closed.Metrics)

	clk.at(119 * s)
	closed, ok = in.LastClosed("gnb-001")
	require.True(t, ok)
	require.Equal(t, t0.Add(60*s), closed.Start)
	requireMetrics(t, map[string]float64{PRBUtilization: 0.2}, closed.Metrics)

	require.Equal(t, 2.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleLate)), "one late report of two samples")
	require.Equal(t, 10.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleAggregated)))
}

func TestLastClosed(t *testing.T) {
	s := time.Second
	in, clk, _ := newTestIngester(0)
	_, ok := in.LastClosed("gnb-001")
	require.False(t, ok, "unknown node")

	clk.at(10 * s)
	in.Ingest([]model.KPMReport{prbReport("c1", 5*s, 40), prbReport("c2", 5*s, 60)})
	_, ok = in.LastClosed("gnb-001")
	require.False(t, ok, "no window has closed yet")

	clk.at(31 * s)
	in.Ingest([]model.KPMReport{prbReport("c1", 30*s, 100)})
	cur, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	require.Equal(t, t0.Add(30*s), cur.Start, "Snapshot: the window in progress")
	requireMetrics(t, map[string]float64{PRBUtilization: 1}, cur.Metrics)

	closed, ok := in.LastClosed("gnb-001")
	require.True(t, ok)
	require.Equal(t, t0, closed.Start, "LastClosed: the full previous window of both cells")
	require.True(t, closed.Closed)
	require.Len(t, closed.Cells, 2)
	requireMetrics(t, map[string]float64{PRBUtilization: 0.5}, closed.Metrics)
}

func TestStalenessAt90s(t *testing.T) {
	tests := []struct {
		name        string
		granularity time.Duration
		now         time.Duration // clock, from t0; the sample starts at t0
		stale       bool
	}{
		{"fresh", time.Second, 30 * time.Second, false},
		{"exactly 90 s after the period's end is not stale", time.Second, 91 * time.Second, false},
		{"just over 90 s is stale", time.Second, 91*time.Second + time.Nanosecond, true},
		{"a 30 s period is as of its end", 30 * time.Second, 120 * time.Second, false},
		{"a 30 s period is stale 90 s after its end", 30 * time.Second, 121 * time.Second, true},
		{"no granularity: as of collectStartTime", 0, 91 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, clk, _ := newTestIngester(0)
			r := prbReport("c1", 0, 50)
			r.GranularityPeriod = tt.granularity
			in.Ingest([]model.KPMReport{r})
			clk.at(tt.now)
			nw, ok := in.Snapshot("gnb-001")
			require.True(t, ok)
			require.Equal(t, tt.stale, nw.Stale)
			require.Equal(t, t0.Add(tt.granularity), nw.LastUpdate)
		})
	}
}

func TestNodeAggregationAcrossCells(t *testing.T) {
	in, _, _ := newTestIngester(29 * time.Second)
	var reports []model.KPMReport
	add := func(cell string, at time.Duration, ms ...model.Measurement) {
		reports = append(reports, report("gnb-001", cell, at, ms...))
	}
	// cell c1: prb 0.4, ue 10, delays 10 and 20 (0.1 ms)
	add("c1", 0, append(prb(40, 100), meas(RRCConnMean, 10), meas(DRBRlcSduDelayDl, 10))...)
	add("c1", time.Second, meas(DRBRlcSduDelayDl, 20))
	// cell c2: prb 0.8 (from PrbTotDl), ue 30, delays 30, 40, 50
	add("c2", 0, meas(RRUPrbTotDl, 80), meas(RRCConnMean, 30), meas(DRBRlcSduDelayDl, 30))
	add("c2", time.Second, meas(DRBRlcSduDelayDl, 40))
	add("c2", 2*time.Second, meas(DRBRlcSduDelayDl, 50))
	// cell c3: only a delay sample; no prb, no ue
	add("c3", 0, meas(DRBRlcSduDelayDl, 5))
	// another node's cell is not counted
	reports = append(reports, report("gnb-002", "c1", 0, append(prb(100, 100), meas(RRCConnMean, 1000))...))
	in.Ingest(reports)

	nw, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	requireMetrics(t, map[string]float64{
		PRBUtilization: 0.6, // mean of 0.4 and 0.8; c3 has none
		UECount:        40,  // 10 + 30
		P95LatencyMs:   5,   // nearest rank 6 of [5 10 20 30 40 50] = 50 -> 5 ms
	}, nw.Metrics)
	requireMetrics(t, map[string]float64{PRBUtilization: 0.4, UECount: 10, P95LatencyMs: 2}, nw.Cells["c1"].Metrics)
	requireMetrics(t, map[string]float64{PRBUtilization: 0.8, UECount: 30, P95LatencyMs: 5}, nw.Cells["c2"].Metrics)
	requireMetrics(t, map[string]float64{P95LatencyMs: 0.5}, nw.Cells["c3"].Metrics)
	require.Equal(t, t0.Add(3*time.Second), nw.LastUpdate)
}

func TestIngestDropsWhatItCannotUse(t *testing.T) {
	in, _, _ := newTestIngester(10 * time.Second)
	in.Ingest([]model.KPMReport{
		report("gnb-001", "c1", 0, meas(RRCConnMean, math.NaN()), meas(RRUPrbTotDl, math.Inf(1)), meas(DRBRlcSduDelayDl, -1), meas(RRCConnMean, 7)),
		report("", "c1", 0, meas(RRCConnMean, 7)),
		report("gnb-001", "", 0, meas(RRCConnMean, 7)),
		report("gnb-\x01", "c1", 0, meas(RRCConnMean, 7)),
		{NodeID: "gnb-001", CellID: "c9", Measurements: []model.Measurement{meas(RRCConnMean, 7)}}, // no time
		report("gnb-002", "c1", 0, meas(RRCConnMean, math.NaN())),                                  // nothing usable: no node
	})
	nw, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	requireMetrics(t, map[string]float64{UECount: 7}, nw.Metrics)
	require.Len(t, nw.Cells, 1)
	_, ok = in.Snapshot("gnb-002")
	require.False(t, ok)
	require.Equal(t, 4.0, testutil.ToFloat64(in.m.reports.WithLabelValues("rejected")))
	require.Equal(t, 2.0, testutil.ToFloat64(in.m.reports.WithLabelValues("accepted")))
	require.Equal(t, 8.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleInvalid)))
	require.Equal(t, 1.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleAggregated)))
}

func TestWindowCaps(t *testing.T) {
	in, _, _ := newTestIngester(29 * time.Second)
	var many []model.Measurement
	for i := range maxNamesPerWindow + 10 {
		many = append(many, meas(fmt.Sprintf("x.%d", i), 1))
	}
	in.Ingest([]model.KPMReport{report("gnb-001", "c1", 0, many...)})
	reports := make([]model.KPMReport, maxReportsPerWindow+5)
	for i := range reports {
		reports[i] = report("gnb-001", "c2", time.Duration(i)*time.Millisecond, meas(RRCConnMean, 1))
	}
	in.Ingest(reports)
	nw, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	require.Len(t, nw.Cells["c1"].Measurements, maxNamesPerWindow)
	require.Equal(t, maxReportsPerWindow, nw.Cells["c2"].Reports)
	require.Equal(t, 15.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleOverflow)))
}

// TestConcurrentUse runs ingestion, readouts and scrapes at once for the
// race detector.
func TestConcurrentUse(t *testing.T) {
	in, clk, reg := newTestIngester(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				at := time.Duration(i) * 250 * time.Millisecond
				clk.at(at)
				in.Ingest([]model.KPMReport{
					report(fmt.Sprintf("gnb-%d", g), fmt.Sprintf("c%d", i%3), at, append(prb(float64(i%100), 100), meas(DRBRlcSduDelayDl, float64(i)))...),
				})
			}
		})
	}
	var gatherErr error
	wg.Go(func() {
		for range 100 {
			in.Snapshot("gnb-1")
			in.LastClosed("gnb-2")
			if _, err := reg.Gather(); err != nil {
				gatherErr = err
			}
		}
	})
	wg.Wait()
	require.NoError(t, gatherErr)
	for g := range 4 {
		_, ok := in.Snapshot(fmt.Sprintf("gnb-%d", g))
		require.True(t, ok)
	}
}

// TestANodeNotConnectedOverE2IsStale: e2mgr's view overrides fresh samples.
func TestANodeNotConnectedOverE2IsStale(t *testing.T) {
	tests := []struct {
		name             string
		connected, known bool
		stale            bool
	}{
		{"connected", true, true, false},
		{"known and disconnected", false, true, true},
		{"unknown to e2mgr: only the age decides", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(0)
			in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now,
				Connected: func(string) (bool, bool) { return tt.connected, tt.known }})
			in.Ingest([]model.KPMReport{prbReport("c1", 0, 50)})
			clk.at(5 * time.Second)
			nw, ok := in.Snapshot("gnb-001")
			require.True(t, ok)
			require.Equal(t, tt.stale, nw.Stale)
		})
	}
}
