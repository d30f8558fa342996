package kpm

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are all of the package's Prometheus families.
//
// The derived metrics are gauges computed at scrape time from the same
// windows the readout shows (a custom collector), so a scrape and a
// readout at the same instant agree and forgotten nodes disappear:
//
//	e2_kpm_prb_utilization{node_id,cell_id}
//	e2_kpm_ue_count{node_id,cell_id}
//	e2_kpm_p95_latency_ms{node_id,cell_id}
//	e2_kpm_staleness_seconds{node_id}
//
// Node-level series carry cell_id="" (one family needs one label set).
// Prometheus drops empty labels at ingestion, so the node-level series is
// stored as e2_kpm_prb_utilization{node_id="gnb-001"}, the plan's example;
// select it alone with {node_id="gnb-001",cell_id=""} and the cells with
// {cell_id!=""} (a bare {node_id="gnb-001"} also matches the cells).
//
// Label values come from bounded sets, except the node and cell ids the
// plan's metrics name: result is one of the sample/report outcomes,
// handler one of reports/readout, code an HTTP status the handlers answer.
type metrics struct {
	reports  *prometheus.CounterVec
	samples  *prometheus.CounterVec
	windows  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	gauges   *windowCollector
}

func newMetrics(in *Ingester) *metrics {
	m := &metrics{
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e2_kpm_reports_total",
			Help: "E2SM-KPM reports received, by result: accepted (handed to the aggregator), rejected (in a refused push body, or without node, cell or time).",
		}, []string{"result"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e2_kpm_samples_total",
			Help: "E2SM-KPM measurement samples of accepted reports, by result: aggregated, late (older than the cell's last closed window), future (more than one window ahead of the clock), invalid (negative or not finite), overflow (beyond a window's caps).",
		}, []string{"result"}),
		windows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e2_kpm_windows_total",
			Help: "Closed KPM node windows, by result: emitted (returned by CloseWindows to the rules), dropped (rolled out of the cells and out of the bounded pending queue before CloseWindows reached them).",
		}, []string{"result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "e2_kpm_request_duration_seconds",
			Help:    "Time to answer a KPM request, by handler (reports: the push endpoint, readout: the metrics readout) and HTTP status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"handler", "code"}),
		gauges: &windowCollector{
			in: in,
			prb: prometheus.NewDesc("e2_kpm_prb_utilization",
				"Derived kpm.prb_utilization (0..1) of the current KPM window: RRU.PrbUsedDl/RRU.PrbAvailDl, else RRU.PrbTotDl/100; per cell, and per node (cell_id=\"\", mean over its cells).",
				[]string{"node_id", "cell_id"}, nil),
			ue: prometheus.NewDesc("e2_kpm_ue_count",
				"Derived kpm.ue_count of the current KPM window: mean RRC.ConnMean; per cell, and per node (cell_id=\"\", summed over its cells).",
				[]string{"node_id", "cell_id"}, nil),
			p95: prometheus.NewDesc("e2_kpm_p95_latency_ms",
				"Derived kpm.p95_latency_ms of the current KPM window: nearest-rank p95 of DRB.RlcSduDelayDl samples x 0.1 ms; per cell, and per node (cell_id=\"\", over all its cells' samples).",
				[]string{"node_id", "cell_id"}, nil),
			staleness: prometheus.NewDesc("e2_kpm_staleness_seconds",
				"Seconds since the end of the collection period of the node's newest KPM sample, at scrape time; the data is stale beyond 90 s.",
				[]string{"node_id"}, nil),
		},
	}
	for _, r := range []string{"accepted", "rejected"} {
		m.reports.WithLabelValues(r)
	}
	for _, r := range []string{sampleAggregated, sampleLate, sampleFuture, sampleInvalid, sampleOverflow} {
		m.samples.WithLabelValues(r)
	}
	for _, r := range []string{windowEmitted, windowDropped} {
		m.windows.WithLabelValues(r)
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) {
	reg.MustRegister(m.reports, m.samples, m.windows, m.duration, m.gauges)
}

// count adds one Ingest call's outcomes.
func (m *metrics) count(o outcomes) {
	for _, c := range []struct {
		vec    *prometheus.CounterVec
		result string
		n      int
	}{
		{m.reports, "accepted", o.reports},
		{m.reports, "rejected", o.badReports},
		{m.samples, sampleAggregated, o.aggregated},
		{m.samples, sampleLate, o.late},
		{m.samples, sampleFuture, o.future},
		{m.samples, sampleInvalid, o.invalid},
		{m.samples, sampleOverflow, o.overflow},
		{m.windows, windowDropped, o.windowsDropped},
	} {
		if c.n > 0 {
			c.vec.WithLabelValues(c.result).Add(float64(c.n))
		}
	}
}

// rejected counts the reports of a refused push body.
func (m *metrics) rejected(n int) { m.reports.WithLabelValues("rejected").Add(float64(n)) }

// observe records one answered request.
func (m *metrics) observe(handler string, code int, took time.Duration) {
	m.duration.WithLabelValues(handler, strconv.Itoa(code)).Observe(took.Seconds())
}

// windowCollector exports the derived metrics and the staleness of every
// node the Ingester keeps, computed at scrape time with the Ingester's
// clock.
type windowCollector struct {
	in                      *Ingester
	prb, ue, p95, staleness *prometheus.Desc
}

var _ prometheus.Collector = (*windowCollector)(nil)

func (c *windowCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.prb
	ch <- c.ue
	ch <- c.p95
	ch <- c.staleness
}

func (c *windowCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.in.now()
	c.in.maybePrune(now)
	// Windows are copied out under the shard locks and sent after, so a
	// slow scrape never holds up ingestion.
	for _, nw := range c.in.snapshots(now) {
		c.emit(ch, nw.NodeID, "", nw.Metrics)
		for cellID, cw := range nw.Cells {
			c.emit(ch, nw.NodeID, cellID, cw.Metrics)
		}
		age := max(now.Sub(nw.LastUpdate), 0)
		c.send(ch, c.staleness, age.Seconds(), nw.NodeID)
	}
}

// send emits one gauge. Ingest refuses ids that are not valid label
// values, so the error branch is a safety net: one bad series is skipped
// rather than failing the whole scrape.
func (c *windowCollector) send(ch chan<- prometheus.Metric, desc *prometheus.Desc, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	if err != nil {
		c.in.log.Warn("KPM series skipped", "labels", labels, "err", err)
		return
	}
	ch <- m
}

func (c *windowCollector) emit(ch chan<- prometheus.Metric, nodeID, cellID string, ms map[string]float64) {
	for _, g := range []struct {
		desc *prometheus.Desc
		key  string
	}{{c.prb, PRBUtilization}, {c.ue, UECount}, {c.p95, P95LatencyMs}} {
		if v, ok := ms[g.key]; ok {
			c.send(ch, g.desc, v, nodeID, cellID)
		}
	}
}
