package deliver

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The values of planner_proposals_delivered_total's result label.
const (
	resultDelivered = "delivered" // a new proposal
	resultExisted   = "existed"   // the Proposer found it delivered already
	resultNoChange  = "nochange"  // the intent changes nothing
	resultRefused   = "refused"   // the backend refused it (propose.ErrRefused)
)

// metrics are the worker's families.
type metrics struct {
	pending   prometheus.Gauge       // planner_proposals_pending
	delivered *prometheus.CounterVec // planner_proposals_delivered_total{result}
	errors    prometheus.Counter     // planner_proposal_delivery_errors_total
	latency   prometheus.Histogram   // planner_proposal_delivery_seconds
}

// newMetrics creates the families and registers them on reg (not at all
// when reg is nil).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "planner_proposals_pending",
			Help: "Decisions queued for delivery as proposals and not delivered yet (due or waiting for a retry).",
		}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planner_proposals_delivered_total",
			Help: "Queued decisions settled, by result (delivered: a new proposal; existed: the proposal was found delivered already, after a restart; nochange: the intent changes nothing, not retried; refused: the deployment refused it, e.g. Porch failed to render it, not retried).",
		}, []string{"result"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "planner_proposal_delivery_errors_total",
			Help: "Failed deliveries of a proposal (each retried with backoff; logged).",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "planner_proposal_delivery_seconds",
			Help:    "Time from a decision to its new proposal's delivery (result delivered only).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
	}
	for _, r := range []string{resultDelivered, resultExisted, resultNoChange, resultRefused} {
		m.delivered.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.pending, m.delivered, m.errors, m.latency)
	}
	return m
}
