package kpm

import (
	"hash/maphash"
	"math"
	"sync"

	"github.com/nephoran/nephoran/watcher/model"
)

// The TS 28.552 measurements the derived metrics read, named as written.
const (
	// RRUPrbUsedDl is the mean number of DL PRBs used for data traffic
	// (an integer number of PRBs).
	RRUPrbUsedDl = "RRU.PrbUsedDl"
	// RRUPrbAvailDl is the mean number of DL PRBs available for data
	// traffic (an integer number of PRBs).
	RRUPrbAvailDl = "RRU.PrbAvailDl"
	// RRUPrbTotDl is the total DL PRB usage in percent (0..100).
	RRUPrbTotDl = "RRU.PrbTotDl"
	// RRCConnMean is the mean number of RRC connections (UEs in
	// RRC_CONNECTED).
	RRCConnMean = "RRC.ConnMean"
	// DRBRlcSduDelayDl is the average DL RLC SDU delay in units of 0.1 ms.
	DRBRlcSduDelayDl = "DRB.RlcSduDelayDl"
)

// Bounds of one cell's window. A sane E2 node sends one report per cell per
// granularity period (30 per window at 1 s) with a handful of names.
const (
	// maxReportsPerWindow caps the reports one cell window takes; more
	// are counted as overflow.
	maxReportsPerWindow = 1024
	// maxNamesPerWindow caps the distinct measurement names one cell
	// window keeps; samples of further names are counted as overflow.
	maxNamesPerWindow = 256
)

// Sample outcomes: the result label of e2_kpm_samples_total.
const (
	sampleAggregated = "aggregated" // added to a window
	sampleLate       = "late"       // older than the cell's last closed window, or of a window CloseWindows closed
	sampleFuture     = "future"     // collectStartTime more than one window ahead of now
	sampleInvalid    = "invalid"    // non-finite or negative value, or a report without ids or time
	sampleOverflow   = "overflow"   // beyond the per-window caps
)

// outcomes counts the samples of one Ingest call by result, so the counters
// are touched once per call rather than once per sample.
type outcomes struct {
	aggregated, late, future, invalid, overflow int
	reports, badReports                         int
	// windowsDropped counts node windows dropped unemitted (spill).
	windowsDropped int
}

// Window outcomes: the result label of e2_kpm_windows_total.
const (
	windowEmitted = "emitted" // returned by CloseWindows
	windowDropped = "dropped" // rolled out of its cells and dropped from a full pending queue before any CloseWindows call reached it
)

// numShards splits the aggregator so that concurrent pushes for different
// nodes rarely wait on each other. A node's cells share a shard, so a
// node's readout takes one lock.
const numShards = 32

// shards is the aggregator's state: node id -> node, split by a hash of
// the node id.
type shards struct {
	seed maphash.Seed
	s    [numShards]shard
}

type shard struct {
	mu    sync.Mutex
	nodes map[string]*node
	// closed is the now of the last CloseWindows pass over the shard (unix
	// ns): its nodes' windows ending at or before it are emitted, or closed
	// without samples, and take no more samples.
	closed int64
}

func newShards() *shards {
	ss := &shards{seed: maphash.MakeSeed()}
	for i := range ss.s {
		ss.s[i].nodes = make(map[string]*node)
	}
	return ss
}

func (ss *shards) of(nodeID string) *shard {
	return &ss.s[maphash.String(ss.seed, nodeID)%numShards]
}

// node is one E2 node's cells.
type node struct {
	cells map[string]*cell
	// newest is the newest sample time of any of its cells (unix ns).
	newest int64
	// pending are the cell windows that rolled out of their cells before
	// CloseWindows emitted them, grouped by window index, oldest first; at
	// most maxPendingWindows indexes (see spill).
	pending []pendingWindow
	// dropped is the end (unix ns) of the newest window dropped from
	// pending unemitted: the node's windows ending at or before it are
	// closed.
	dropped int64
}

// pendingWindow is one window index's cell windows awaiting CloseWindows.
type pendingWindow struct {
	index int64
	cells []cellWindow
}

// cellWindow is one cell's window: in a pendingWindow it owns w's buffers.
type cellWindow struct {
	id string
	w  *window
}

// maxPendingWindows bounds a node's pending windows: CloseWindows falling
// more than this many windows behind the samples (a stalled caller) drops
// the oldest, counted in e2_kpm_windows_total{result="dropped"}.
const maxPendingWindows = 8

// cell keeps one (nodeId, cellId)'s current window and the last closed one.
type cell struct {
	// cur is the newest window that has samples; last is the newest
	// window before cur that has samples (often cur's predecessor).
	cur, last window
	// newest is the time of the newest sample (unix ns): the end of its
	// collection period, collectStartTime + granularityPeriod.
	newest int64
}

// window accumulates one cell's samples of one epoch-aligned window
// [index*Window, (index+1)*Window).
type window struct {
	index int64
	// reports counts the reports that added samples; zero means empty.
	reports int
	// newest is the time of the window's newest sample (unix ns): the end
	// of its collection period.
	newest int64
	// prbRatio holds clamp(RRU.PrbUsedDl/RRU.PrbAvailDl) of each report
	// that carried both (with PrbAvailDl > 0); prbTot clamp(RRU.PrbTotDl/100)
	// of each report that carried it.
	prbRatio, prbTot mean
	// conn holds RRC.ConnMean of each report.
	conn mean
	// delays holds DRB.RlcSduDelayDl of each report, in 0.1 ms.
	delays []float64
	// stats keeps every measurement name's count, sum, min and max.
	stats []nameStat
}

type mean struct {
	sum float64
	n   int
}

func (m *mean) add(v float64) { m.sum += v; m.n++ }

func (m mean) value() float64 { return m.sum / float64(m.n) }

type nameStat struct {
	name          string
	n             int
	sum, min, max float64
}

func (w *window) empty() bool { return w.reports == 0 }

// reset empties w for window index, keeping its buffers.
func (w *window) reset(index int64) {
	w.index = index
	w.reports = 0
	w.newest = 0
	w.prbRatio, w.prbTot, w.conn = mean{}, mean{}, mean{}
	w.delays = w.delays[:0]
	w.stats = w.stats[:0]
}

// target picks the window a sample of window index belongs to, rolling
// over when it opens a newer window; nil means the sample is late (older
// than the last closed window).
func (c *cell) target(index int64) *window {
	switch {
	case c.cur.empty():
		c.cur.reset(index)
		return &c.cur
	case index == c.cur.index:
		return &c.cur
	case index > c.cur.index:
		// Roll over: the current window closes and becomes the last one;
		// the old last one's buffers are reused for the new current.
		c.cur, c.last = c.last, c.cur
		c.cur.reset(index)
		return &c.cur
	case !c.last.empty() && index == c.last.index:
		return &c.last
	case c.last.empty() || index > c.last.index:
		// Between the last closed window and the current one: it is the
		// newest closed window now.
		c.last.reset(index)
		return &c.last
	default:
		return nil
	}
}

// evicts says whether target(index) rolls the last window, one with
// samples, out of the cell.
func (c *cell) evicts(index int64) bool {
	return !c.last.empty() && index > c.last.index && index != c.cur.index
}

// valid says whether v is a sample: finite and not negative.
func valid(v float64) bool { return v >= 0 && !math.IsInf(v, 1) } // NaN fails v >= 0

// add puts the report's valid samples into w and counts them in o. Per
// report each derived input takes the name's last valid value.
func (w *window) add(r *model.KPMReport, o *outcomes) {
	var (
		used, avail, tot, conn, delay                float64
		hasUsed, hasAvail, hasTot, hasConn, hasDelay bool
		added                                        int
	)
	for i := range r.Measurements {
		m := &r.Measurements[i]
		if !valid(m.Value) {
			o.invalid++
			continue
		}
		if !w.stat(m.Name, m.Value) {
			o.overflow++
			continue
		}
		added++
		switch m.Name {
		case RRUPrbUsedDl:
			used, hasUsed = m.Value, true
		case RRUPrbAvailDl:
			avail, hasAvail = m.Value, true
		case RRUPrbTotDl:
			tot, hasTot = m.Value, true
		case RRCConnMean:
			conn, hasConn = m.Value, true
		case DRBRlcSduDelayDl:
			delay, hasDelay = m.Value, true
		}
	}
	if added == 0 {
		return
	}
	o.aggregated += added
	w.reports++
	if hasUsed && hasAvail && avail > 0 {
		w.prbRatio.add(clamp01(used / avail))
	}
	if hasTot {
		w.prbTot.add(clamp01(tot / 100))
	}
	if hasConn {
		w.conn.add(conn)
	}
	if hasDelay {
		w.delays = append(w.delays, delay)
	}
}

// stat adds v to name's statistics; false when the window already keeps
// maxNamesPerWindow other names.
func (w *window) stat(name string, v float64) bool {
	for i := range w.stats {
		s := &w.stats[i]
		if s.name == name {
			s.n++
			s.sum += v
			s.min = min(s.min, v)
			s.max = max(s.max, v)
			return true
		}
	}
	if len(w.stats) >= maxNamesPerWindow {
		return false
	}
	w.stats = append(w.stats, nameStat{name: name, n: 1, sum: v, min: v, max: v})
	return true
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// floorDiv is a/b rounded towards negative infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
