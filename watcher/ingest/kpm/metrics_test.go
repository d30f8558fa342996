package kpm

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func TestWindowGauges(t *testing.T) {
	in, clk, reg := newTestIngester(29 * time.Second)
	in.Ingest([]model.KPMReport{
		report("gnb-001", "c1", 0, append(prb(50, 100), meas(RRCConnMean, 200), meas(DRBRlcSduDelayDl, 100))...),
		report("gnb-001", "c2", 0, meas(RRUPrbTotDl, 75), meas(RRCConnMean, 250), meas(DRBRlcSduDelayDl, 125)),
		// gnb-002 reports only UEs: no prb or latency series, not 0.
		report("gnb-002", "c1", 10*time.Second, meas(RRCConnMean, 7)),
	})
	clk.at(36 * time.Second)

	const want = `
# HELP e2_kpm_p95_latency_ms Derived kpm.p95_latency_ms of the current KPM window: nearest-rank p95 of DRB.RlcSduDelayDl samples x 0.1 ms; per cell, and per node (cell_id="", over all its cells' samples).
# TYPE e2_kpm_p95_latency_ms gauge
e2_kpm_p95_latency_ms{cell_id="",node_id="gnb-001"} 12.5
e2_kpm_p95_latency_ms{cell_id="c1",node_id="gnb-001"} 10
e2_kpm_p95_latency_ms{cell_id="c2",node_id="gnb-001"} 12.5
# HELP e2_kpm_prb_utilization Derived kpm.prb_utilization (0..1) of the current KPM window: RRU.PrbUsedDl/RRU.PrbAvailDl, else RRU.PrbTotDl/100; per cell, and per node (cell_id="", mean over its cells).
# TYPE e2_kpm_prb_utilization gauge
e2_kpm_prb_utilization{cell_id="",node_id="gnb-001"} 0.625
e2_kpm_prb_utilization{cell_id="c1",node_id="gnb-001"} 0.5
e2_kpm_prb_utilization{cell_id="c2",node_id="gnb-001"} 0.75
# HELP e2_kpm_staleness_seconds Seconds since the end of the collection period of the node's newest KPM sample, at scrape time; the data is stale beyond 90 s.
# TYPE e2_kpm_staleness_seconds gauge
e2_kpm_staleness_seconds{node_id="gnb-001"} 35
e2_kpm_staleness_seconds{node_id="gnb-002"} 25
# HELP e2_kpm_ue_count Derived kpm.ue_count of the current KPM window: mean RRC.ConnMean; per cell, and per node (cell_id="", summed over its cells).
# TYPE e2_kpm_ue_count gauge
e2_kpm_ue_count{cell_id="",node_id="gnb-001"} 450
e2_kpm_ue_count{cell_id="",node_id="gnb-002"} 7
e2_kpm_ue_count{cell_id="c1",node_id="gnb-001"} 200
e2_kpm_ue_count{cell_id="c1",node_id="gnb-002"} 7
e2_kpm_ue_count{cell_id="c2",node_id="gnb-001"} 250
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"e2_kpm_prb_utilization", "e2_kpm_ue_count", "e2_kpm_p95_latency_ms", "e2_kpm_staleness_seconds"))

	// Past Retention the node's series disappear.
	clk.at(11 * time.Minute)
	n, err := testutil.GatherAndCount(reg, "e2_kpm_prb_utilization", "e2_kpm_ue_count", "e2_kpm_staleness_seconds")
	require.NoError(t, err)
	require.Zero(t, n)
}

// TestMetricsLint runs promlint over every family.
func TestMetricsLint(t *testing.T) {
	in, _, reg := newTestIngester(time.Second)
	in.Ingest([]model.KPMReport{report("gnb-001", "c1", 0, append(prb(1, 2), meas(RRCConnMean, 3), meas(DRBRlcSduDelayDl, 4))...)})
	in.m.observe("reports", 202, time.Millisecond)
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	// The plan fixes these two names (seed-examples.md); promlint would
	// have e2_kpm_p95_latency_seconds and no _count on a gauge. Anything
	// else it finds is a mistake.
	var names []string
	for _, p := range problems {
		names = append(names, p.Metric)
	}
	require.ElementsMatch(t, []string{"e2_kpm_p95_latency_ms", "e2_kpm_ue_count"}, names, "%v", problems)
}

func TestNewWithoutRegisterer(t *testing.T) {
	in := New(Options{})
	in.Ingest([]model.KPMReport{report("gnb-001", "c1", 0, prb(1, 2)...)})
	_, ok := in.Snapshot("gnb-001")
	require.False(t, ok, "the wall clock is years past t0: forgotten")
}

func TestNewPanicsWhenRegisteredTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(Options{Registerer: reg})
	require.Panics(t, func() { New(Options{Registerer: reg}) })
}
