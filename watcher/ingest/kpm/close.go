package kpm

import (
	"cmp"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// CloseWindows returns every node window that closed since the previous
// call, for the rules: a window [Start, End) closes when now reaches End
// (!now.Before(End)), whatever moves the clock (a report, a tick, a
// replay's simulated time). Each (node, window) is returned once, only if
// it has samples, ordered by node id, then Start. After a call, windows
// ending at or before now take no more samples: those that arrive are
// counted as late (e2_kpm_samples_total{result="late"}) and the readout no
// longer changes for them. A caller that wants the reports of a window's
// last granularity period, which arrive just after End, passes now minus a
// grace period.
//
// It is cheap when nothing closes (a few atomic operations): the earliest
// end of a window awaiting emission is kept, and a call before it returns
// nil. Windows that rolled out of their cells (the cells keep two) before
// the first call are not returned; from the first call on they are kept,
// up to maxPendingWindows per node, until a call emits them.
//
// The node's Metrics are the readout's (Snapshot) node-level values for the
// window, plus the mean of each measurement by its TS 28.552 name over all
// the samples of the node's cells; Cells the same per cell. A measurement
// named like a derived metric is shadowed by it. Disconnected comes from
// Options.Connected at the call.
func (in *Ingester) CloseWindows(now time.Time) []model.Window {
	t := now.UnixNano()
	if !in.keep.Load() {
		in.keep.Store(true)
	}
	// closedAt moves by whole windows (to the latest window end at or
	// before now), so a clock moving within a window writes nothing.
	win := int64(in.window)
	if t >= in.closedAt.Load()+win {
		raise(&in.closedAt, floorDiv(t, win)*win)
	}
	if t < in.due.Load() {
		return nil
	}
	in.closeMu.Lock()
	defer in.closeMu.Unlock()
	// Reset due before reading the shards: a sample added after a shard is
	// read lowers due again (Ingest lowers it after adding).
	in.due.Store(math.MaxInt64)
	next := int64(math.MaxInt64)
	var out []model.Window
	for i := range in.state.s {
		sh := &in.state.s[i]
		sh.mu.Lock()
		from := sh.closed
		sh.closed = max(sh.closed, t)
		for id, n := range sh.nodes {
			out, next = in.closeNode(out, next, id, n, max(from, n.dropped), t)
		}
		sh.mu.Unlock()
	}
	lower(&in.due, next)
	if len(out) == 0 {
		return nil
	}
	// The hook may be slow: asked outside the locks, once per node.
	slices.SortFunc(out, func(a, b model.Window) int {
		return cmp.Or(cmp.Compare(a.NodeID, b.NodeID), a.Start.Compare(b.Start))
	})
	for i := range out {
		if i > 0 && out[i].NodeID == out[i-1].NodeID {
			out[i].Disconnected = out[i-1].Disconnected
			continue
		}
		out[i].Disconnected = in.disconnected(out[i].NodeID)
	}
	in.m.windows.WithLabelValues(windowEmitted).Add(float64(len(out)))
	return out
}

// closeNode appends n's windows that end in (from, t] to out, drops its
// pending windows that end by t, and lowers next to the earliest end of the
// windows still awaiting emission. It runs under n's shard lock.
func (in *Ingester) closeNode(out []model.Window, next int64, id string, n *node, from, t int64) ([]model.Window, int64) {
	win := int64(in.window)
	// The windows to emit by index (usually one), the due pending ones
	// first: they own their cells slices.
	var due []pendingWindow
	taken := 0
	for _, p := range n.pending { // oldest first
		end := (p.index + 1) * win
		if end > t {
			next = min(next, end)
			break
		}
		if end > from {
			due = append(due, p)
		}
		taken++
	}
	if taken > 0 {
		n.pending = slices.Delete(n.pending, 0, taken)
	}
	add := func(index int64, cw cellWindow) {
		for i := range due {
			if due[i].index == index {
				due[i].cells = append(due[i].cells, cw)
				return
			}
		}
		due = append(due, pendingWindow{index: index, cells: append(make([]cellWindow, 0, len(n.cells)), cw)})
	}
	for cellID, c := range n.cells {
		for _, w := range [2]*window{&c.cur, &c.last} {
			if w.empty() {
				continue
			}
			switch end := in.end(w); {
			case end <= from: // emitted before
			case end <= t:
				add(w.index, cellWindow{id: cellID, w: w})
			default:
				next = min(next, end)
			}
		}
	}
	for _, p := range due { // CloseWindows sorts them
		out = append(out, in.closedWindow(id, p.index, p.cells))
	}
	return out, next
}

// closedWindow builds the model.Window of node id's window index from its
// cells' windows, in cell id order so the sums are deterministic.
func (in *Ingester) closedWindow(id string, index int64, cells []cellWindow) model.Window {
	slices.SortFunc(cells, func(a, b cellWindow) int { return cmp.Compare(a.id, b.id) })
	start := time.Unix(0, index*int64(in.window)).UTC()
	mw := model.Window{
		NodeID: id,
		Start:  start,
		End:    start.Add(in.window),
		Cells:  make(map[string]map[string]float64, len(cells)),
	}
	var (
		acc    nodeAcc
		raw    = make(map[string]mean)
		names  []string // raw's keys in first-seen order
		newest int64
		ndelay int
	)
	for _, cw := range cells {
		ndelay += len(cw.w.delays)
	}
	acc.delays = make([]float64, 0, ndelay)
	for _, cw := range cells {
		w := cw.w
		d := w.derive()
		m := make(map[string]float64, len(w.stats)+3)
		for _, s := range w.stats {
			m[s.name] = s.sum / float64(s.n)
			r, seen := raw[s.name]
			if !seen {
				names = append(names, s.name)
			}
			r.sum += s.sum
			r.n += s.n
			raw[s.name] = r
		}
		d.into(m)
		mw.Cells[cw.id] = m
		acc.add(d, w)
		newest = max(newest, w.newest)
	}
	mw.Metrics = make(map[string]float64, len(names)+3)
	for _, name := range names {
		mw.Metrics[name] = raw[name].value()
	}
	acc.derived().into(mw.Metrics)
	mw.Newest = time.Unix(0, newest).UTC()
	return mw
}

// spill moves c's last window, which the sample about to be added rolls
// out of the cell, to n's pending windows unless it was emitted already
// (ends at or before emitted). Past maxPendingWindows indexes it drops the
// oldest and closes the node's windows up to its end; it returns how many
// it dropped. It runs under n's shard lock.
func (in *Ingester) spill(n *node, cellID string, c *cell, emitted int64) (dropped int) {
	if in.end(&c.last) <= emitted {
		return 0
	}
	w := new(window)
	*w, c.last = c.last, window{} // w takes the buffers; the cell grows new ones
	cw := cellWindow{id: cellID, w: w}
	i, found := slices.BinarySearchFunc(n.pending, w.index, func(p pendingWindow, index int64) int {
		return cmp.Compare(p.index, index)
	})
	if found {
		n.pending[i].cells = append(n.pending[i].cells, cw)
	} else {
		n.pending = slices.Insert(n.pending, i, pendingWindow{index: w.index, cells: []cellWindow{cw}})
	}
	for len(n.pending) > maxPendingWindows {
		n.dropped = max(n.dropped, (n.pending[0].index+1)*int64(in.window))
		n.pending = slices.Delete(n.pending, 0, 1)
		dropped++
	}
	return dropped
}

// nodeAcc adds up the node-level derived metrics over a node's cell
// windows (view and closedWindow).
type nodeAcc struct {
	prb    mean
	ue     float64
	hasUE  bool
	delays []float64
}

// add counts one cell window w whose derived metrics are d.
func (a *nodeAcc) add(d derived, w *window) {
	if d.hasPRB {
		a.prb.add(d.prb)
	}
	if d.hasUE {
		a.ue += d.ue
		a.hasUE = true
	}
	a.delays = append(a.delays, w.delays...)
}

// derived is the node's metrics: mean prb over the cells that have one,
// summed ue, p95 over all delay samples (sorting a.delays).
func (a *nodeAcc) derived() derived {
	d := derived{ue: a.ue, hasUE: a.hasUE}
	if a.prb.n > 0 {
		d.prb, d.hasPRB = a.prb.value(), true
	}
	if len(a.delays) > 0 {
		d.p95, d.hasP95 = delayMs(p95(a.delays)), true
	}
	return d
}

// lower sets *v to min(*v, x).
func lower(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if cur <= x || v.CompareAndSwap(cur, x) {
			return
		}
	}
}

// raise sets *v to max(*v, x).
func raise(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if cur >= x || v.CompareAndSwap(cur, x) {
			return
		}
	}
}
