package ves

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// resultRejected is the ves_events_total result of an event that was not
// accepted: refused by validation, or not stored because the Sink failed.
// The other results are model.Result values.
const resultRejected = "rejected"

// metrics are all the listener's Prometheus families. Label values come
// from bounded sets: domain is one of the schema's domains, a VES 5 domain
// name in lenient mode (measurementsForVfScaling), or "invalid",
// result one of accepted, stndDefined_unvalidated, lenient, rejected,
// endpoint event, eventBatch or webhook, code an HTTP status the listener answers.
type metrics struct {
	events   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ves_events_total",
			Help: "VES events received, by commonEventHeader.domain (\"invalid\" when not a VES 7.2.1 domain) and result (accepted, stndDefined_unvalidated, lenient, rejected).",
		}, []string{"domain", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ves_request_duration_seconds",
			Help:    "Time to answer a VES Event Listener request, by endpoint (event, eventBatch, webhook) and HTTP status code; includes the Sink's Append.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"endpoint", "code"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register VES listener metrics: %w", err)
		}
	}
	return m, nil
}

// countEvent adds one event under its (already bounded) domain label.
func (m *metrics) countEvent(domainLabel, result string) {
	m.events.WithLabelValues(domainLabel, result).Inc()
}

// observe records one answered request.
func (m *metrics) observe(ep endpoint, code int, took time.Duration) {
	m.duration.WithLabelValues(string(ep), strconv.Itoa(code)).Observe(took.Seconds())
}
