package kpm

import (
	"slices"
	"time"
)

// The derived contract metrics (../shared/contracts/nephoran/e2.kpm.profile.md),
// the keys of NodeWindow.Metrics and CellWindow.Metrics and of the rules'
// metrics map.
const (
	// PRBUtilization is the DL PRB utilization ratio, 0..1.
	PRBUtilization = "kpm.prb_utilization"
	// UECount is the number of connected UEs.
	UECount = "kpm.ue_count"
	// P95LatencyMs is the 95th percentile of the DL RLC SDU delay samples
	// of the window, in milliseconds.
	P95LatencyMs = "kpm.p95_latency_ms"
)

// NodeWindow is one E2 node's window as the readout and the rules see it:
// the newest window that has samples (the current window so far, or the
// last closed one while the current window has none yet). It is plain data,
// a copy: holding it holds no lock.
type NodeWindow struct {
	NodeID string
	// Start and End bound the window: [Start, End), aligned to the epoch.
	Start, End time.Time
	// Closed says the window's time span is over (End <= now). Samples of
	// a closed window may still arrive (a report is sent at the end of its
	// granularity period); they are added until a newer window opens.
	Closed bool
	// Metrics are the node-level derived metrics: mean kpm.prb_utilization
	// over the cells that have one, summed kpm.ue_count, and
	// kpm.p95_latency_ms over every delay sample of the cells. A metric
	// without input samples is absent, never 0.
	Metrics map[string]float64
	// Cells are the node's cells that have samples in this window, by
	// cell id; cells whose newest samples are older are left out.
	Cells map[string]CellWindow
	// LastUpdate is the time of the node's newest sample: the end of its
	// collection period (collectStartTime + granularityPeriod).
	LastUpdate time.Time
	// Stale says LastUpdate is more than the staleness bound (90 s) before
	// now: rules must not act on the window.
	Stale bool
}

// CellWindow is one cell's share of a NodeWindow.
type CellWindow struct {
	// Metrics are the cell's derived metrics (absent when not computable).
	Metrics map[string]float64
	// Measurements summarize every measurement name the cell reported in
	// the window, the derived metrics' inputs and any other.
	Measurements map[string]MeasurementStat
	// Reports counts the reports that contributed samples.
	Reports int
	// LastUpdate is the time of the cell's newest sample.
	LastUpdate time.Time
}

// MeasurementStat summarizes one measurement's samples in a window, in the
// measurement's own TS 28.552 unit.
type MeasurementStat struct {
	Count          int
	Mean, Min, Max float64
}

// derived are the derived metrics of a cell or node window; has* say which
// could be computed.
type derived struct {
	prb, ue, p95          float64
	hasPRB, hasUE, hasP95 bool
}

func (d derived) metrics() map[string]float64 {
	m := make(map[string]float64, 3)
	d.into(m)
	return m
}

// into sets the metrics that could be computed in m.
func (d derived) into(m map[string]float64) {
	if d.hasPRB {
		m[PRBUtilization] = d.prb
	}
	if d.hasUE {
		m[UECount] = d.ue
	}
	if d.hasP95 {
		m[P95LatencyMs] = d.p95
	}
}

// derive computes a cell window's metrics:
//
//	kpm.prb_utilization = mean over reports of clamp01(RRU.PrbUsedDl / RRU.PrbAvailDl)
//	                      else mean over reports of clamp01(RRU.PrbTotDl / 100)
//	kpm.ue_count        = mean over reports of RRC.ConnMean
//	kpm.p95_latency_ms  = p95 (nearest rank) of DRB.RlcSduDelayDl / 10
//
// It sorts w.delays in place (their order carries no meaning).
func (w *window) derive() derived {
	var d derived
	switch {
	case w.prbRatio.n > 0:
		d.prb, d.hasPRB = clamp01(w.prbRatio.value()), true
	case w.prbTot.n > 0:
		d.prb, d.hasPRB = clamp01(w.prbTot.value()), true
	}
	if w.conn.n > 0 {
		d.ue, d.hasUE = w.conn.value(), true
	}
	if len(w.delays) > 0 {
		d.p95, d.hasP95 = delayMs(p95(w.delays)), true
	}
	return d
}

// p95 is the 95th percentile of xs by the nearest-rank method: the
// ceil(0.95*n)-th smallest value (1-based). It sorts xs in place; xs must
// not be empty.
func p95(xs []float64) float64 {
	slices.Sort(xs)
	rank := (95*len(xs) + 99) / 100 // ceil(0.95*n) in integers: no float rounding
	return xs[rank-1]
}

// delayMs converts DRB.RlcSduDelayDl (0.1 ms units) to milliseconds.
// Dividing by 10 rounds exactly where multiplying by 0.1 would not
// (3 * 0.1 = 0.30000000000000004).
func delayMs(v float64) float64 { return v / 10 }

// picker chooses the window of a cell that a view shows; nil leaves the
// cell out.
type picker func(c *cell, now time.Time) *window

// pickCurrent is the cell's current window: the newest with samples.
func pickCurrent(c *cell, _ time.Time) *window { return &c.cur }

// end is when w's time span ends (unix ns).
func (in *Ingester) end(w *window) int64 { return (w.index + 1) * int64(in.window) }

// view builds n's NodeWindow at now from the windows pick chooses; it runs
// under n's shard lock. full adds the per-measurement statistics (the
// readout and the metrics need only the derived values). ok is false when
// pick chooses no window of any cell.
func (in *Ingester) view(id string, n *node, now time.Time, full bool, pick picker) (nw NodeWindow, ok bool) {
	// The node's window is the newest window picked among its cells.
	var (
		index  int64
		ndelay int
		picked = make(map[string]*window, len(n.cells))
	)
	for cellID, c := range n.cells {
		w := pick(c, now)
		if w == nil || w.empty() {
			continue
		}
		if !ok || w.index > index {
			index, ok = w.index, true
		}
		picked[cellID] = w
	}
	if !ok {
		return NodeWindow{}, false
	}
	for cellID, w := range picked {
		if w.index != index {
			delete(picked, cellID)
			continue
		}
		ndelay += len(w.delays)
	}
	start := time.Unix(0, index*int64(in.window)).UTC()
	nw = NodeWindow{
		NodeID:     id,
		Start:      start,
		End:        start.Add(in.window),
		Closed:     !now.Before(start.Add(in.window)),
		Cells:      make(map[string]CellWindow, len(n.cells)),
		LastUpdate: time.Unix(0, n.newest).UTC(),
	}
	nw.Stale = now.Sub(nw.LastUpdate) > in.staleness || in.disconnected(id)

	acc := nodeAcc{delays: make([]float64, 0, ndelay)}
	for cellID, w := range picked {
		c := n.cells[cellID]
		d := w.derive()
		cw := CellWindow{
			Metrics:    d.metrics(),
			Reports:    w.reports,
			LastUpdate: time.Unix(0, c.newest).UTC(),
		}
		if full {
			cw.Measurements = make(map[string]MeasurementStat, len(w.stats))
			for _, s := range w.stats {
				cw.Measurements[s.name] = MeasurementStat{Count: s.n, Mean: s.sum / float64(s.n), Min: s.min, Max: s.max}
			}
		}
		nw.Cells[cellID] = cw
		acc.add(d, w)
	}
	nw.Metrics = acc.derived().metrics()
	return nw, true
}

// disconnected says the node is known not to be connected over E2.
func (in *Ingester) disconnected(nodeID string) bool {
	if in.connected == nil {
		return false
	}
	connected, known := in.connected(nodeID)
	return known && !connected
}
