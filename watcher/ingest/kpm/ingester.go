package kpm

import (
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
)

// Options configure an Ingester. The zero value works: no metrics, a
// discarding logger, the wall clock, 30 s windows, 90 s staleness.
type Options struct {
	// Registerer receives the Prometheus collectors (metrics.go); nil
	// registers none.
	Registerer prometheus.Registerer
	// Logger logs refused bodies (at debug) and dropped samples.
	Logger *slog.Logger
	// Now is the clock: staleness, readout timestamps, the future bound
	// and ReceivedAt of pushed reports. Default time.Now.
	Now func() time.Time
	// Window is the aggregation window, aligned to the epoch (default
	// 30 s, decide's window).
	Window time.Duration
	// Staleness is the age of a node's newest sample beyond which its
	// window is stale (default 90 s, the contract's maximum staleness).
	Staleness time.Duration
	// Retention is how long a node or cell without new samples is kept
	// (readout, metrics) before it is forgotten (default 10 min, at least
	// Staleness).
	Retention time.Duration
	// MaxBodyBytes bounds a push body (default 4 MiB); larger bodies get
	// 413.
	MaxBodyBytes int64
	// Connected, when set, is the E2 connection state of a node (e2mgr's
	// view): a node known not to be CONNECTED is stale whatever the age of
	// its samples.
	Connected func(nodeID string) (connected, known bool)
	// Record, when set, receives every batch Ingest takes, as given, after
	// aggregation: the watcher records them for `nephoran trace export`.
	// It must not block, and must copy what it keeps beyond the call.
	Record func(reports []model.KPMReport)
}

// Ingester aggregates E2SM-KPM reports into per-cell windows and derives
// the contract metrics from them. Reports from any source (the push
// endpoint, a Prometheus pull, a RIC client) enter through Ingest. It is
// safe for concurrent use.
type Ingester struct {
	log                          *slog.Logger
	now                          func() time.Time
	window, staleness, retention time.Duration
	connected                    func(nodeID string) (connected, known bool)
	record                       func(reports []model.KPMReport)
	maxBody                      int64

	state *shards
	// nextPrune is when (unix ns) nodes and cells past Retention are next
	// dropped; pruning runs at most once per window.
	nextPrune atomic.Int64
	m         *metrics

	// CloseWindows' state (close.go). closeMu serializes its passes over
	// the shards.
	closeMu sync.Mutex
	// due is the earliest end (unix ns) of a window that has samples and
	// was not emitted yet, MaxInt64 when there is none: CloseWindows with
	// an earlier now has nothing to do. Ingest lowers it.
	due atomic.Int64
	// closedAt is the latest window end at or before the latest now
	// CloseWindows was called with (unix ns): windows ending at or before
	// it are closed and take no more samples.
	closedAt atomic.Int64
	// keep says CloseWindows was called: from then on a window that rolls
	// out of its cell before it was emitted is kept for it (spill).
	keep atomic.Bool
}

// New returns an Ingester and registers its collectors on
// opts.Registerer. Registration failing (the same Registerer given twice)
// is a wiring mistake: New panics, as prometheus.MustRegister does.
func New(opts Options) *Ingester {
	in := &Ingester{
		log:       opts.Logger,
		now:       opts.Now,
		window:    opts.Window,
		staleness: opts.Staleness,
		connected: opts.Connected,
		record:    opts.Record,
		retention: opts.Retention,
		maxBody:   opts.MaxBodyBytes,
		state:     newShards(),
	}
	if in.log == nil {
		in.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if in.now == nil {
		in.now = time.Now
	}
	if in.window <= 0 {
		in.window = 30 * time.Second
	}
	if in.staleness <= 0 {
		in.staleness = 90 * time.Second
	}
	if in.retention <= 0 {
		in.retention = 10 * time.Minute
	}
	in.retention = max(in.retention, in.staleness) // a node is stale before it is forgotten
	if in.maxBody <= 0 {
		in.maxBody = 4 << 20
	}
	in.due.Store(math.MaxInt64)
	in.m = newMetrics(in)
	if opts.Registerer != nil {
		in.m.register(opts.Registerer)
	}
	return in
}

// Window is the aggregation window's length (Options.Window, default
// 30 s). Samples are accepted up to one window ahead of the clock, so
// CloseWindows(now + 2*Window()) closes every window that has samples.
func (in *Ingester) Window() time.Duration { return in.window }

// Ingest adds reports to their cells' windows. A report's window is the
// one its CollectStart falls in. A report without node id, cell id or
// CollectStart (1970..2200), or with ids that are not valid label values
// (see DecodeReports), is rejected. A sample is dropped, and counted in
// e2_kpm_samples_total by why, when its value is negative or not finite,
// when it is older than its cell's last closed window or its window was
// closed by CloseWindows (late), or when its report starts more than one
// window after now (a producer clock running ahead would otherwise push
// every cell's window into the future).
func (in *Ingester) Ingest(reports []model.KPMReport) {
	now := in.now()
	futureAfter := now.Add(in.window).UnixNano()
	win := int64(in.window)
	closedAt, keep := in.closedAt.Load(), in.keep.Load()
	due := int64(math.MaxInt64) // the earliest end of a window given samples
	var o outcomes
	for i := range reports {
		r := &reports[i]
		if r.NodeID == "" || r.CellID == "" || !inTimeRange(r.CollectStart) {
			o.badReports++
			o.invalid += len(r.Measurements)
			continue
		}
		samples := 0
		for _, m := range r.Measurements {
			if valid(m.Value) {
				samples++
			}
		}
		invalid := len(r.Measurements) - samples
		start := r.CollectStart.UnixNano()
		switch {
		case samples == 0:
			o.reports++
			o.invalid += invalid
			continue
		case start > futureAfter:
			o.reports++
			o.future += samples
			o.invalid += invalid
			continue
		}
		end := start + int64(max(r.GranularityPeriod, 0))
		index := floorDiv(start, win)
		windowEnd := (index + 1) * win

		sh := in.state.of(r.NodeID)
		sh.mu.Lock()
		n, c, ok := sh.cell(r.NodeID, r.CellID)
		if !ok {
			sh.mu.Unlock()
			o.badReports++
			o.invalid += len(r.Measurements)
			continue
		}
		o.reports++
		// Windows CloseWindows emitted (or closed without samples) take no
		// more samples; sh.closed and n.dropped are read under the lock
		// CloseWindows and spill write them under.
		emitted := max(sh.closed, n.dropped)
		if windowEnd <= max(emitted, closedAt) {
			sh.mu.Unlock()
			o.late += samples
			o.invalid += invalid
			continue
		}
		if keep && c.evicts(index) {
			o.windowsDropped += in.spill(n, r.CellID, c, emitted)
		}
		switch w := c.target(index); {
		case w == nil:
			o.late += samples
			o.invalid += invalid
		case w.reports >= maxReportsPerWindow:
			o.overflow += samples
			o.invalid += invalid
		default:
			w.add(r, &o)
			if !w.empty() {
				w.newest = max(w.newest, end)
				due = min(due, windowEnd)
			}
			c.newest = max(c.newest, end)
			n.newest = max(n.newest, end)
		}
		sh.mu.Unlock()
	}
	// After the samples are in: a CloseWindows pass that reset due before
	// this either saw them or sees this lower bound.
	if due != math.MaxInt64 {
		lower(&in.due, due)
	}
	in.m.count(o)
	if o.late+o.future+o.overflow+o.badReports > 0 {
		in.log.Debug("KPM samples dropped", "late", o.late, "future", o.future,
			"overflow", o.overflow, "invalid", o.invalid, "rejectedReports", o.badReports)
	}
	if o.windowsDropped > 0 {
		in.log.Warn("KPM windows dropped before CloseWindows emitted them: is the rules loop calling it?",
			"windows", o.windowsDropped)
	}
	if in.record != nil && len(reports) > 0 {
		in.record(reports)
	}
	in.maybePrune(now)
}

// cell finds or creates the node and cell; it runs under sh.mu. Ids are
// checked (checkID: they become label values) when first seen; ok is false
// for an id that fails.
func (sh *shard) cell(nodeID, cellID string) (n *node, c *cell, ok bool) {
	n = sh.nodes[nodeID]
	if n == nil {
		if checkID(nodeID) != "" || checkID(cellID) != "" {
			return nil, nil, false
		}
		n = &node{cells: make(map[string]*cell)}
		sh.nodes[nodeID] = n
	}
	if c = n.cells[cellID]; c == nil {
		if checkID(cellID) != "" {
			return nil, nil, false
		}
		c = &cell{}
		n.cells[cellID] = c
	}
	return n, c, true
}

// Snapshot returns nodeID's current window (the current window so far, or
// the last closed one while the current has no samples), with the
// derived metrics of the node and each of its cells. ok is false for a
// node that never reported, or whose newest sample is older than
// Retention.
func (in *Ingester) Snapshot(nodeID string) (nw NodeWindow, ok bool) {
	return in.nodeView(nodeID, in.now(), pickCurrent, true)
}

// LastClosed returns nodeID's newest closed window: per cell, the newest
// window with samples whose time span is over (End <= now), and the
// node's window is the newest of those. Unlike Snapshot it never shows a
// window in progress, so its values do not dip while the cells' reports of
// a new window trickle in; decide's 30 s evaluation reads it. ok is false
// when no window of the node has closed yet (or as for Snapshot).
func (in *Ingester) LastClosed(nodeID string) (NodeWindow, bool) {
	return in.nodeView(nodeID, in.now(), in.pickClosed, true)
}

// pickClosed is the cell's newest window whose span is over.
func (in *Ingester) pickClosed(c *cell, now time.Time) *window {
	t := now.UnixNano()
	switch {
	case !c.cur.empty() && in.end(&c.cur) <= t:
		return &c.cur
	case !c.last.empty() && in.end(&c.last) <= t:
		return &c.last
	}
	return nil
}

func (in *Ingester) nodeView(nodeID string, now time.Time, pick picker, full bool) (NodeWindow, bool) {
	sh := in.state.of(nodeID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := sh.nodes[nodeID]
	if n == nil || in.expired(n.newest, now) {
		return NodeWindow{}, false
	}
	return in.view(nodeID, n, now, full, pick)
}

// snapshots returns every live node's window, for the metrics collector.
func (in *Ingester) snapshots(now time.Time) []NodeWindow {
	var out []NodeWindow
	for i := range in.state.s {
		sh := &in.state.s[i]
		sh.mu.Lock()
		for id, n := range sh.nodes {
			if in.expired(n.newest, now) {
				continue
			}
			if nw, ok := in.view(id, n, now, false, pickCurrent); ok {
				out = append(out, nw)
			}
		}
		sh.mu.Unlock()
	}
	return out
}

func (in *Ingester) expired(newest int64, now time.Time) bool {
	return now.UnixNano()-newest > int64(in.retention)
}

// maybePrune forgets cells and nodes past Retention, at most once per
// window.
func (in *Ingester) maybePrune(now time.Time) {
	t := now.UnixNano()
	next := in.nextPrune.Load()
	if t < next || !in.nextPrune.CompareAndSwap(next, t+int64(in.window)) {
		return
	}
	for i := range in.state.s {
		sh := &in.state.s[i]
		sh.mu.Lock()
		for id, n := range sh.nodes {
			for cellID, c := range n.cells {
				if in.expired(c.newest, now) {
					delete(n.cells, cellID)
				}
			}
			if len(n.cells) == 0 {
				delete(sh.nodes, id)
			}
		}
		sh.mu.Unlock()
	}
}
