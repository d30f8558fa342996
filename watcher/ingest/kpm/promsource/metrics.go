package promsource

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Query and sample outcomes: the result label values.
const (
	queryOK       = "ok"       // Prometheus answered with a vector
	queryError    = "error"    // unreachable, an HTTP or PromQL error, or not a vector
	sampleIngest  = "ingested" // handed to the ingester in a report
	sampleSkipped = "skipped"  // without the node or cell label, NaN, or a duplicate (node, cell, measurement)
)

// metrics are all of the package's Prometheus families:
//
//	kpm_prometheus_queries_total{measurement,result}
//	kpm_prometheus_query_duration_seconds{measurement}
//	kpm_prometheus_samples_total{result}
//	kpm_prometheus_last_success_timestamp_seconds
//
// Label values come from bounded sets: measurement is a Config.Queries
// name (unique, fixed at startup), result one of the outcomes above.
type metrics struct {
	queries     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	samples     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

func newMetrics(queries []Query) *metrics {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kpm_prometheus_queries_total",
			Help: "PromQL queries of the KPM Prometheus pull, by 3GPP TS 28.552 measurement and result: ok (a vector), error (Prometheus unreachable, an HTTP or PromQL error, or not a vector).",
		}, []string{"measurement", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kpm_prometheus_query_duration_seconds",
			Help:    "Time for Prometheus to answer (or fail) one query of the KPM pull, by measurement.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"measurement"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kpm_prometheus_samples_total",
			Help: "Samples the KPM Prometheus pull got, by result: ingested (handed to the KPM ingester), skipped (without the node or cell label, NaN, or a second sample of the same node, cell and measurement).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kpm_prometheus_last_success_timestamp_seconds",
			Help: "Evaluation time (Unix seconds) of the last poll of the KPM Prometheus pull in which every query answered; 0 before the first.",
		}),
	}
	for _, q := range queries {
		m.queries.WithLabelValues(q.Measurement, queryOK)
		m.queries.WithLabelValues(q.Measurement, queryError)
		m.duration.WithLabelValues(q.Measurement)
	}
	m.samples.WithLabelValues(sampleIngest)
	m.samples.WithLabelValues(sampleSkipped)
	return m
}

// register puts every family on reg (nil: none); on an error none stays
// registered.
func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	cs := []prometheus.Collector{m.queries, m.duration, m.samples, m.lastSuccess}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// query records one answered or failed query.
func (m *metrics) query(measurement string, took time.Duration, err error) {
	result := queryOK
	if err != nil {
		result = queryError
	}
	m.queries.WithLabelValues(measurement, result).Inc()
	m.duration.WithLabelValues(measurement).Observe(took.Seconds())
}

// polled records one poll's samples, and its instant when every query
// answered.
func (m *metrics) polled(at time.Time, ingested, skipped int, ok bool) {
	if ingested > 0 {
		m.samples.WithLabelValues(sampleIngest).Add(float64(ingested))
	}
	if skipped > 0 {
		m.samples.WithLabelValues(sampleSkipped).Add(float64(skipped))
	}
	if ok {
		m.lastSuccess.Set(float64(at.UnixNano()) / 1e9)
	}
}
