package kpm

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// closeStep is one moment of a CloseWindows timeline: set the clock,
// ingest, then call CloseWindows(clock - lag) and check what it returns.
type closeStep struct {
	at     time.Duration // the clock, from t0
	ingest []model.KPMReport
	lag    time.Duration // CloseWindows' now is the clock minus lag
	noCall bool          // do not call CloseWindows at this step
	want   []string      // the windows returned, as "node@start" (start from t0)
	late   float64       // e2_kpm_samples_total{result="late"} after the step
}

func TestCloseWindowsTimelines(t *testing.T) {
	s := time.Second
	r := func(node string, at time.Duration) model.KPMReport {
		return report(node, "c1", at, prb(50, 100)...)
	}
	one := func(at time.Duration) []model.KPMReport { return []model.KPMReport{r("gnb-001", at)} }
	tests := []struct {
		name  string
		steps []closeStep
	}{
		{"a window closes when the clock reaches its end, with no new sample", []closeStep{
			{at: s, ingest: one(0)},
			{at: 30*s - time.Nanosecond},
			{at: 30 * s, want: []string{"gnb-001@0s"}},
		}},
		{"each window is returned once across repeated calls", []closeStep{
			{at: s, ingest: one(0)},
			{at: 31 * s, want: []string{"gnb-001@0s"}},
			{at: 31 * s},
			{at: 45 * s},
			{at: 61 * s}, // window 1 has no samples: nothing
			{at: 62 * s, ingest: one(60 * s)},
			{at: 90 * s, want: []string{"gnb-001@1m0s"}},
			{at: 600 * s},
		}},
		{"two rollovers between calls: both rolled-out windows are returned", []closeStep{
			{at: 0}, // the first call: from now on windows rolled out of the cells are kept
			{at: 1 * s, ingest: one(0), noCall: true},
			{at: 31 * s, ingest: one(30 * s), noCall: true},
			{at: 61 * s, ingest: one(60 * s), noCall: true}, // window 0 rolls out of the cell
			{at: 91 * s, ingest: one(90 * s), noCall: true}, // and window 1
			{at: 91 * s, want: []string{"gnb-001@0s", "gnb-001@30s", "gnb-001@1m0s"}},
			{at: 120 * s, want: []string{"gnb-001@1m30s"}},
		}},
		{"windows rolled out before the first call are not kept", []closeStep{
			{at: 1 * s, ingest: one(0), noCall: true},
			{at: 31 * s, ingest: one(30 * s), noCall: true},
			{at: 61 * s, ingest: one(60 * s), noCall: true},
			{at: 90 * s, want: []string{"gnb-001@30s", "gnb-001@1m0s"}},
		}},
		{"samples from the future roll a window out before CloseWindows' clock reaches its end: it waits", []closeStep{
			{at: 0, lag: s},
			// At 30 s a report may start up to 60 s: window 2 opens and window 0 rolls out.
			{at: 30 * s, ingest: []model.KPMReport{r("gnb-001", 29*s), r("gnb-001", 30*s), r("gnb-001", 60*s)}, lag: time.Nanosecond},
			{at: 30 * s, want: []string{"gnb-001@0s"}},
			{at: 60 * s, want: []string{"gnb-001@30s"}},
			{at: 90 * s, want: []string{"gnb-001@1m0s"}},
		}},
		{"a sample between the last and the current window rolls the last out: all three are returned", []closeStep{
			{at: 0},
			{at: 30 * s, ingest: []model.KPMReport{r("gnb-001", 29*s), r("gnb-001", 60*s), r("gnb-001", 30*s)}, lag: 30 * s},
			{at: 90 * s, want: []string{"gnb-001@0s", "gnb-001@30s", "gnb-001@1m0s"}},
		}},
		{"a sample of an emitted window is late and does not reopen it", []closeStep{
			{at: s, ingest: one(0)},
			{at: 30 * s, want: []string{"gnb-001@0s"}},
			// The report of the window's last period arrives after the call.
			{at: 30*s + 500*time.Millisecond, ingest: one(29 * s), late: 2},
			{at: 31 * s, late: 2},
			{at: 600 * s, late: 2},
		}},
		{"a window that closed without samples takes none later", []closeStep{
			{at: 30 * s},
			{at: 31 * s, ingest: one(29 * s), late: 2},
			{at: 60 * s, late: 2},
		}},
		{"a lagging call leaves the windows after its now open", []closeStep{
			{at: 29 * s, ingest: one(0)},
			{at: 35 * s, lag: 10 * s},
			{at: 35 * s, ingest: one(29 * s), lag: 10 * s}, // not late: window 0 is not closed yet
			{at: 40 * s, lag: 10 * s, want: []string{"gnb-001@0s"}},
		}},
		{"a call with an older now than the last one changes nothing", []closeStep{
			{at: 31 * s, ingest: one(0), want: []string{"gnb-001@0s"}},
			{at: 31 * s, ingest: one(30 * s), lag: 31 * s},
			{at: 60 * s, want: []string{"gnb-001@30s"}},
		}},
		{"ordered by node id, then start", []closeStep{
			{at: 0},
			{at: 31 * s, ingest: []model.KPMReport{r("gnb-002", 30*s), r("gnb-002", 0), r("gnb-001", 0), r("gnb-010", 0), r("gnb-001", 30*s)}, noCall: true},
			{at: 60 * s, want: []string{"gnb-001@0s", "gnb-001@30s", "gnb-002@0s", "gnb-002@30s", "gnb-010@0s"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, clk, _ := newTestIngester(0)
			for _, st := range tt.steps {
				clk.at(st.at)
				in.Ingest(st.ingest)
				if st.noCall {
					continue
				}
				var got []string
				for _, w := range in.CloseWindows(clk.Now().Add(-st.lag)) {
					require.Equal(t, w.Start.Add(30*time.Second), w.End)
					got = append(got, fmt.Sprintf("%s@%s", w.NodeID, w.Start.Sub(t0)))
				}
				require.Equal(t, st.want, got, "t=%v", st.at)
				require.Equal(t, st.late, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleLate)), "t=%v: late samples", st.at)
			}
		})
	}
}

// TestCloseWindowsDoesNotChangeTheReadout: a late sample refused after
// emission leaves the readout as it was; the readout still shows the
// emitted window.
func TestCloseWindowsDoesNotChangeTheReadout(t *testing.T) {
	in, clk, _ := newTestIngester(29 * time.Second)
	in.Ingest([]model.KPMReport{prbReport("c1", 28*time.Second, 40)})
	clk.at(30 * time.Second)
	require.Len(t, in.CloseWindows(clk.Now()), 1)
	in.Ingest([]model.KPMReport{prbReport("c1", 29*time.Second, 100)})
	nw, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	require.True(t, nw.Closed)
	require.Equal(t, t0, nw.Start)
	requireMetrics(t, map[string]float64{PRBUtilization: 0.4}, nw.Metrics)
}

// TestClosedWindowValues: a closed window carries the readout's derived
// values of the same window, each measurement's mean, and its own newest
// sample time.
func TestClosedWindowValues(t *testing.T) {
	s := time.Second
	in, clk, _ := newTestIngester(29 * s)
	var reports []model.KPMReport
	add := func(cell string, at time.Duration, ms ...model.Measurement) {
		reports = append(reports, report("gnb-001", cell, at, ms...))
	}
	// c1: prb 0.4, ue 10, delays 10 and 20; DRB.UEThpDl 100 and 300
	add("c1", 0, append(prb(40, 100), meas(RRCConnMean, 10), meas(DRBRlcSduDelayDl, 10), meas("DRB.UEThpDl", 100))...)
	add("c1", s, meas(DRBRlcSduDelayDl, 20), meas("DRB.UEThpDl", 300))
	// c2: prb 0.8 from PrbTotDl, ue 30, delays 30, 40, 50; DRB.UEThpDl 500
	add("c2", 0, meas(RRUPrbTotDl, 80), meas(RRCConnMean, 30), meas(DRBRlcSduDelayDl, 30), meas("DRB.UEThpDl", 500))
	add("c2", s, meas(DRBRlcSduDelayDl, 40))
	add("c2", 2*s, meas(DRBRlcSduDelayDl, 50))
	// c3: one delay sample; its period [5 s, 35 s) ends after the window.
	reports = append(reports, model.KPMReport{NodeID: "gnb-001", CellID: "c3", CollectStart: t0.Add(5 * s),
		GranularityPeriod: 30 * s, Measurements: []model.Measurement{meas(DRBRlcSduDelayDl, 5)}})
	in.Ingest(reports)
	// A sample of the next window: newer than window 0's newest.
	clk.at(31 * s)
	in.Ingest([]model.KPMReport{report("gnb-001", "c1", 30*s, meas(RRCConnMean, 99))})

	view, ok := in.LastClosed("gnb-001")
	require.True(t, ok)
	require.Equal(t, t0, view.Start)
	got := in.CloseWindows(clk.Now())
	require.Len(t, got, 1)
	w := got[0]
	require.Equal(t, model.Window{NodeID: "gnb-001", Start: t0, End: t0.Add(30 * s),
		Metrics: w.Metrics, Cells: w.Cells, Newest: t0.Add(35 * s)}, w)

	// The node level: the readout's derived values, plus the means over all
	// the node's samples of each name.
	wantNode := map[string]float64{
		PRBUtilization:   0.6, // mean of 0.4 and 0.8
		UECount:          40,  // 10 + 30
		P95LatencyMs:     5,   // nearest rank 6 of [5 10 20 30 40 50]
		RRUPrbUsedDl:     40,
		RRUPrbAvailDl:    100,
		RRUPrbTotDl:      80,
		RRCConnMean:      20, // (10 + 30) / 2 samples
		DRBRlcSduDelayDl: (10 + 20 + 30 + 40 + 50 + 5) / 6.0,
		"DRB.UEThpDl":    300, // (100 + 300 + 500) / 3
	}
	requireMetrics(t, wantNode, w.Metrics)
	for name, v := range view.Metrics {
		require.InDelta(t, v, w.Metrics[name], 1e-12, "node %s: as the readout", name)
	}

	// Each cell: the readout's derived values and each name's mean.
	require.Len(t, w.Cells, len(view.Cells))
	for id, cw := range view.Cells {
		want := map[string]float64{}
		for name, st := range cw.Measurements {
			want[name] = st.Mean
		}
		for name, v := range cw.Metrics {
			want[name] = v
		}
		requireMetrics(t, want, w.Cells[id])
	}
	requireMetrics(t, map[string]float64{PRBUtilization: 0.4, UECount: 10, P95LatencyMs: 2,
		RRUPrbUsedDl: 40, RRUPrbAvailDl: 100, RRCConnMean: 10, DRBRlcSduDelayDl: 15, "DRB.UEThpDl": 200}, w.Cells["c1"])
}

// TestClosedWindowDerivedNameShadowsAMeasurement: a measurement sent under
// a derived metric's name does not replace the derived value.
func TestClosedWindowDerivedNameShadowsAMeasurement(t *testing.T) {
	in, clk, _ := newTestIngester(time.Second)
	in.Ingest([]model.KPMReport{report("gnb-001", "c1", 0, meas(RRCConnMean, 7), meas(UECount, 1000), meas(PRBUtilization, 5))})
	clk.at(30 * time.Second)
	got := in.CloseWindows(clk.Now())
	require.Len(t, got, 1)
	requireMetrics(t, map[string]float64{UECount: 7, RRCConnMean: 7, PRBUtilization: 5}, got[0].Metrics)
	requireMetrics(t, map[string]float64{UECount: 7, RRCConnMean: 7, PRBUtilization: 5}, got[0].Cells["c1"])
}

// TestClosedWindowDisconnected: e2mgr's view at the call, per node.
func TestClosedWindowDisconnected(t *testing.T) {
	for _, tt := range []struct {
		name             string
		connected, known bool
		disconnected     bool
	}{
		{"connected", true, true, false},
		{"known and disconnected", false, true, true},
		{"unknown to e2mgr", false, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(time.Second)
			in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now,
				Connected: func(id string) (bool, bool) {
					if id == "gnb-001" {
						return tt.connected, tt.known
					}
					return true, true
				}})
			in.Ingest([]model.KPMReport{prbReport("c1", 0, 50), report("gnb-002", "c1", 0, prb(1, 2)...)})
			clk.at(31 * time.Second)
			in.Ingest([]model.KPMReport{prbReport("c1", 30*time.Second, 50)})
			clk.at(60 * time.Second)
			got := in.CloseWindows(clk.Now())
			require.Len(t, got, 3)
			require.Equal(t, []bool{tt.disconnected, tt.disconnected, false},
				[]bool{got[0].Disconnected, got[1].Disconnected, got[2].Disconnected})
		})
	}
}

// TestCloseWindowsDropsPastThePendingBound: a caller that stops calling
// loses the oldest windows beyond maxPendingWindows, counted; a window
// dropped for one cell is not returned partially from another.
func TestCloseWindowsDropsPastThePendingBound(t *testing.T) {
	s := time.Second
	in, clk, _ := newTestIngester(0)
	require.Nil(t, in.CloseWindows(clk.Now()))
	// c2 reports in window 0 only: it keeps window 0 as its current window.
	in.Ingest([]model.KPMReport{prbReport("c2", 0, 10)})
	const windows = maxPendingWindows + 4
	for i := range windows {
		at := time.Duration(i) * 30 * s
		clk.at(at + s)
		in.Ingest([]model.KPMReport{prbReport("c1", at, 50)})
	}
	// c1 keeps the newest two; the 10 before rolled out, 8 fit.
	require.Equal(t, 2.0, testutil.ToFloat64(in.m.windows.WithLabelValues(windowDropped)))
	got := in.CloseWindows(t0.Add(windows * 30 * s))
	require.Len(t, got, windows-2)
	require.Equal(t, t0.Add(60*s), got[0].Start)
	for _, w := range got {
		require.NotContains(t, w.Cells, "c2")
	}
	require.Equal(t, float64(windows-2), testutil.ToFloat64(in.m.windows.WithLabelValues(windowEmitted)))
	// Samples for the dropped windows are late.
	in.Ingest([]model.KPMReport{prbReport("c2", 0, 10)})
	require.Equal(t, 2.0, testutil.ToFloat64(in.m.samples.WithLabelValues(sampleLate)))
}

// TestCloseWindowsConcurrentWithIngest runs ingestion, readouts and
// CloseWindows at once, for the race detector: every window is returned at
// most once and every sample is either aggregated or late.
func TestCloseWindowsConcurrentWithIngest(t *testing.T) {
	in, clk, _ := newTestIngester(0)
	const producers, steps = 4, 400
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		emitted = map[string]int{}
		done    = make(chan struct{})
	)
	collect := func(ws []model.Window) {
		mu.Lock()
		defer mu.Unlock()
		for i, w := range ws {
			if i > 0 {
				prev := ws[i-1]
				require.True(t, prev.NodeID < w.NodeID || prev.NodeID == w.NodeID && prev.Start.Before(w.Start), "order")
			}
			emitted[fmt.Sprintf("%s@%d", w.NodeID, w.Start.Unix())]++
		}
	}
	for g := range producers {
		wg.Go(func() {
			for i := range steps {
				at := time.Duration(i) * 250 * time.Millisecond
				clk.at(at)
				in.Ingest([]model.KPMReport{
					report(fmt.Sprintf("gnb-%d", g), fmt.Sprintf("c%d", i%3), at, append(prb(float64(i%100), 100), meas(DRBRlcSduDelayDl, float64(i)))...),
				})
			}
		})
	}
	var closers sync.WaitGroup
	for lag := range 2 {
		closers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				collect(in.CloseWindows(clk.Now().Add(-time.Duration(lag) * 10 * time.Second)))
				in.LastClosed("gnb-1")
			}
		})
	}
	wg.Wait()
	close(done)
	closers.Wait()
	collect(in.CloseWindows(t0.Add(time.Hour)))
	require.Nil(t, in.CloseWindows(t0.Add(time.Hour)))

	require.NotEmpty(t, emitted)
	for k, n := range emitted {
		require.Equal(t, 1, n, "window %s returned %d times", k, n)
	}
	sent := float64(producers * steps * 3)
	aggregated := testutil.ToFloat64(in.m.samples.WithLabelValues(sampleAggregated))
	late := testutil.ToFloat64(in.m.samples.WithLabelValues(sampleLate))
	future := testutil.ToFloat64(in.m.samples.WithLabelValues(sampleFuture))
	t.Logf("%d windows, %v aggregated, %v late, %v future", len(emitted), aggregated, late, future)
	require.Equal(t, sent, aggregated+late+future)
	require.Zero(t, testutil.ToFloat64(in.m.windows.WithLabelValues(windowDropped)))
}

// TestCloseWindowsDeadline: the earliest end awaiting emission.
func TestCloseWindowsDeadline(t *testing.T) {
	in, clk, _ := newTestIngester(time.Second)
	require.Equal(t, int64(math.MaxInt64), in.due.Load(), "nothing awaits")
	in.Ingest([]model.KPMReport{prbReport("c1", 0, 1), prbReport("c1", 30*time.Second, 1)})
	require.Equal(t, t0.Add(30*time.Second).UnixNano(), in.due.Load())
	clk.at(30 * time.Second)
	require.Len(t, in.CloseWindows(clk.Now()), 1)
	require.Equal(t, t0.Add(60*time.Second).UnixNano(), in.due.Load(), "window 1 is next")
	require.Len(t, in.CloseWindows(t0.Add(time.Minute)), 1)
	require.Equal(t, int64(math.MaxInt64), in.due.Load())
}

// TestCloseWindowsTwoWindowsAheadClosesAll: samples are accepted up to one
// window ahead of the clock, so now + 2*Window closes every window.
func TestCloseWindowsTwoWindowsAheadClosesAll(t *testing.T) {
	in, clk, _ := newTestIngester(29 * time.Second)
	require.Equal(t, 30*time.Second, in.Window())
	in.Ingest([]model.KPMReport{prbReport("c1", 28*time.Second, 1), prbReport("c1", 59*time.Second, 1)})
	require.Len(t, in.CloseWindows(clk.Now().Add(2*in.Window())), 2)
}
