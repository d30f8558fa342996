package kpm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func TestP95NearestRank(t *testing.T) {
	// seq returns 1..n shuffled a little, so p95 must sort.
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i)
		}
		return xs
	}
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"one sample is its own p95", []float64{125}, 125},
		{"two samples: rank ceil(1.9)=2", []float64{10, 20}, 20},
		{"ten samples: rank ceil(9.5)=10, the maximum", seq(10), 10},
		{"19 samples: rank ceil(18.05)=19", seq(19), 19},
		{"20 samples: rank exactly 19 (0.95*20 in floats is 19.000000000000004)", seq(20), 19},
		{"21 samples: rank ceil(19.95)=20", seq(21), 20},
		{"100 samples: rank 95", seq(100), 95},
		{"30 samples of a 1 s granularity window: rank ceil(28.5)=29", seq(30), 29},
		{"ties", []float64{5, 5, 5, 1, 9}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, p95(tt.xs))
		})
	}
}

// TestDerivedMetrics checks each formula on one cell's window, read back
// through Snapshot: the cell's metrics, and the node's (one cell: equal).
func TestDerivedMetrics(t *testing.T) {
	m := func(ms ...model.Measurement) []model.Measurement { return ms }
	delays := func(vs ...float64) [][]model.Measurement {
		out := make([][]model.Measurement, len(vs))
		for i, v := range vs {
			out[i] = m(meas(DRBRlcSduDelayDl, v))
		}
		return out
	}
	tests := []struct {
		name    string
		reports [][]model.Measurement // one report per second from t0
		want    map[string]float64
	}{
		{"PrbUsedDl/PrbAvailDl", [][]model.Measurement{prb(68, 100)},
			map[string]float64{PRBUtilization: 0.68}},
		{"PrbUsedDl/PrbAvailDl is the mean of the reports' ratios",
			[][]model.Measurement{prb(50, 100), prb(75, 100), prb(30, 200)},
			map[string]float64{PRBUtilization: (0.5 + 0.75 + 0.15) / 3}},
		{"PrbUsed/PrbAvail wins over PrbTotDl",
			[][]model.Measurement{append(prb(50, 100), meas(RRUPrbTotDl, 90))},
			map[string]float64{PRBUtilization: 0.5}},
		{"fallback to PrbTotDl/100 (percent)", [][]model.Measurement{m(meas(RRUPrbTotDl, 68))},
			map[string]float64{PRBUtilization: 0.68}},
		{"fallback when no report has both PrbUsedDl and PrbAvailDl",
			[][]model.Measurement{m(meas(RRUPrbUsedDl, 50)), m(meas(RRUPrbAvailDl, 100)), m(meas(RRUPrbTotDl, 40)), m(meas(RRUPrbTotDl, 60))},
			map[string]float64{PRBUtilization: 0.5}},
		{"PrbAvailDl 0 gives no ratio: fallback", [][]model.Measurement{append(prb(0, 0), meas(RRUPrbTotDl, 20))},
			map[string]float64{PRBUtilization: 0.2}},
		{"PrbAvailDl 0 and no PrbTotDl: omitted, not 0", [][]model.Measurement{prb(0, 0)},
			map[string]float64{}},
		{"used above available clamps to 1", [][]model.Measurement{prb(120, 100)},
			map[string]float64{PRBUtilization: 1}},
		{"clamping is per report, before the mean", [][]model.Measurement{prb(150, 100), prb(50, 100)},
			map[string]float64{PRBUtilization: 0.75}},
		{"PrbTotDl above 100 clamps to 1", [][]model.Measurement{m(meas(RRUPrbTotDl, 150))},
			map[string]float64{PRBUtilization: 1}},
		{"zero utilization is a value", [][]model.Measurement{prb(0, 100)},
			map[string]float64{PRBUtilization: 0}},
		{"ue_count is the mean of RRC.ConnMean",
			[][]model.Measurement{m(meas(RRCConnMean, 10)), m(meas(RRCConnMean, 20)), m(meas(RRCConnMean, 45))},
			map[string]float64{UECount: 25}},
		{"DRB.RlcSduDelayDl is in 0.1 ms: 125 is 12.5 ms", delays(125),
			map[string]float64{P95LatencyMs: 12.5}},
		{"0.1 ms units convert without float noise", delays(3),
			map[string]float64{P95LatencyMs: 0.3}},
		{"p95 nearest rank over 20 samples is the 19th", delays(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200),
			map[string]float64{P95LatencyMs: 19}},
		{"p95 is taken over the window, not averaged", delays(10, 10, 10, 10, 10, 10, 10, 10, 10, 500),
			map[string]float64{P95LatencyMs: 50}},
		{"all three", [][]model.Measurement{append(prb(34, 100), meas(RRCConnMean, 450), meas(DRBRlcSduDelayDl, 125))},
			map[string]float64{PRBUtilization: 0.34, UECount: 450, P95LatencyMs: 12.5}},
		{"only other measurements: no derived metric", [][]model.Measurement{m(meas("DRB.UEThpDl", 1000))},
			map[string]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _, _ := newTestIngester(29 * time.Second)
			for i, ms := range tt.reports {
				in.Ingest([]model.KPMReport{report("gnb-001", "cell-1", time.Duration(i)*time.Second, ms...)})
			}
			nw, ok := in.Snapshot("gnb-001")
			require.True(t, ok)
			requireMetrics(t, tt.want, nw.Cells["cell-1"].Metrics)
			requireMetrics(t, tt.want, nw.Metrics)
		})
	}
}

// requireMetrics compares metric maps with a tolerance for float rounding.
func requireMetrics(t *testing.T, want, got map[string]float64) {
	t.Helper()
	require.Len(t, got, len(want), "got %v", got)
	for k, v := range want {
		require.Contains(t, got, k)
		require.InDelta(t, v, got[k], 1e-12, k)
	}
}

func TestMeasurementStats(t *testing.T) {
	in, _, _ := newTestIngester(29 * time.Second)
	in.Ingest([]model.KPMReport{
		report("gnb-001", "cell-1", 0, meas("DRB.UEThpDl", 100), meas(RRCConnMean, 10)),
		report("gnb-001", "cell-1", time.Second, meas("DRB.UEThpDl", 300)),
	})
	nw, ok := in.Snapshot("gnb-001")
	require.True(t, ok)
	require.Equal(t, map[string]MeasurementStat{
		"DRB.UEThpDl": {Count: 2, Mean: 200, Min: 100, Max: 300},
		RRCConnMean:   {Count: 1, Mean: 10, Min: 10, Max: 10},
	}, nw.Cells["cell-1"].Measurements)
	require.Equal(t, 2, nw.Cells["cell-1"].Reports)
}
