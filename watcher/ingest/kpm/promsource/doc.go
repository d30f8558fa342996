// Package promsource is the KPM stage's Prometheus pull: for E2 nodes whose
// measurements reach Prometheus through a kpimon-style exporter rather than
// the push endpoint, it evaluates one PromQL query per 3GPP TS 28.552
// measurement at a fixed interval through the Prometheus HTTP API
// (GET /api/v1/query) and hands the results to the KPM ingester as
// model.KPMReport values:
//
//	exporter --scrape--> Prometheus <--/api/v1/query-- promsource.Run --ingest--> (*kpm.Ingester).Ingest
//
// Each query's samples are mapped to an E2 node and cell by two of their
// labels (Query.NodeLabel, Query.CellLabel, e.g. "gnb" and "cell"). One poll
// evaluates every query at the same instant T and builds one report per
// (node, cell) carrying one Measurement per query that had a sample for it,
// with CollectStart = T - Interval and GranularityPeriod = Interval. A
// sample without the node or cell label, a NaN (no value) and a second
// sample for the same (node, cell, measurement) are left out and logged:
// aggregate in the PromQL (`sum by (gnb, cell) (...)`) when the exporter has
// several series per cell.
//
// Failures (Prometheus unreachable, an HTTP or PromQL error, a result that
// is not a vector) are logged and the next poll is delayed with exponential
// backoff, Interval x 2^n capped at MaxBackoff; the queries that did answer
// are still ingested. Run never gives up while its context lives. The
// package sits beside the push decoder: it imports only model and knows
// nothing of windows or rules.
//
// # Metrics
//
// On Config.Registerer (metrics.go holds every family; label values are
// the configured measurement names and fixed result words):
//
//	kpm_prometheus_queries_total{measurement,result="ok|error"}
//	kpm_prometheus_query_duration_seconds{measurement}   histogram
//	kpm_prometheus_samples_total{result="ingested|skipped"}
//	kpm_prometheus_last_success_timestamp_seconds         the last poll in which every query answered
//
// Alert on time() - kpm_prometheus_last_success_timestamp_seconds growing
// past a few intervals, and on the error rate per measurement.
//
// # Configuration
//
// For a kpimon-style exporter whose series carry the E2 node in "gnb" and
// the cell in "cell":
//
//	promsource.Config{
//		URL:      "http://prometheus:9090",
//		Interval: 15 * time.Second, // at least the scrape interval
//		Queries: []promsource.Query{
//			{Measurement: "RRU.PrbUsedDl", PromQL: "sum by (gnb, cell) (kpimon_prb_used_dl)", NodeLabel: "gnb", CellLabel: "cell"},
//			{Measurement: "RRU.PrbAvailDl", PromQL: "sum by (gnb, cell) (kpimon_prb_avail_dl)", NodeLabel: "gnb", CellLabel: "cell"},
//			{Measurement: "RRC.ConnMean", PromQL: "sum by (gnb, cell) (kpimon_rrc_conn_mean)", NodeLabel: "gnb", CellLabel: "cell"},
//		},
//	}
//
// The values must already be in 28.552 units (see ../README.md, "Derived
// metrics"); convert in the PromQL when the exporter uses others (e.g.
// DRB.RlcSduDelayDl is in 0.1 ms: `kpimon_dl_delay_ms * 10`). An interval
// shorter than Prometheus' scrape interval only re-reads the same samples
// as new reports.
package promsource
