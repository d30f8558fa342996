// Package kpm is the watcher's E2SM-KPM ingest stage: it takes per-cell
// measurement reports (3GPP TS 28.552 names), aggregates them into 30 s
// windows per E2 node and cell, and derives the contract metrics the rules
// read (../shared/contracts/nephoran/e2.kpm.profile.md):
//
//	KPM push (HTTP) ---\
//	Prometheus pull ----+--> Ingest --> windows --> CloseWindows(now) -> []model.Window --> rules -> decide
//	RIC clients -------/                   |
//	                                       +--> Snapshot, LastClosed, GET readout, e2_kpm_* gauges
//
// Every source hands model.KPMReport values to (*Ingester).Ingest: today the
// push endpoint (POST /api/v1/kpm/reports, decoded by DecodeReports); the
// Prometheus pull and the RIC subscription clients come later through the
// same method. The package holds no rules and imports no other stage: the
// rules stage reads a node's window as plain data (NodeWindow), and
// GET /api/v1/metrics/e2/kpm/{nodeId} shows the same window as JSON.
//
// # Windows
//
// Windows are aligned to the epoch, [k*30s, (k+1)*30s), and a report
// belongs to the window its collectStartTime falls in. Each cell keeps its
// current window (the newest with samples) and the last closed one. A
// sample of a newer window closes the current window (it becomes the last
// one) and opens a new one; a late sample of the last closed window is
// still added to it; anything older is dropped and counted as late, and so
// is a report starting more than one window ahead of the clock.
//
// A node's window is the newest window among its cells, with the cells
// that have samples in it. Snapshot (and the readout) shows the current
// window so far, which is the last closed one while the window the clock
// is in has no samples yet; LastClosed shows the newest window whose span
// is over, never a half-filled one.
//
// # Closed windows
//
// CloseWindows(now) hands the rules each node window that has closed, once:
// a window closes when now reaches its end, whatever moves the clock (the
// live watcher's tick, replay's simulated time). It returns only windows
// with samples, ordered by node id then start, each as a model.Window with
// the node's derived metrics as the readout computes them, each
// measurement's mean, the newest sample time and the E2 connection state.
// Once a call has closed a window, its samples count as late. A call with
// nothing due costs a few atomic loads (the earliest pending window end is
// kept as a deadline). A cell keeps only two windows, so from the first call
// on a window that rolls out of its cell before a call emitted it is kept in
// a bounded per-node queue until one does (close.go).
//
// A sample's time is the end of its collection period (collectStartTime +
// granularityPeriodMs). A node's LastUpdate is its newest sample time; its
// window is stale when now - LastUpdate > 90 s. Nodes and cells without
// new samples for 10 minutes are forgotten.
//
// # Derived metrics
//
// Per cell, over the window's reports r (TS 28.552 units: RRU.PrbUsedDl
// and RRU.PrbAvailDl in PRBs, RRU.PrbTotDl in percent 0..100, RRC.ConnMean
// in connections, DRB.RlcSduDelayDl in 0.1 ms):
//
//	kpm.prb_utilization = mean_r clamp01(RRU.PrbUsedDl_r / RRU.PrbAvailDl_r)
//	                      over the reports carrying both with RRU.PrbAvailDl > 0;
//	                      if there are none, mean_r clamp01(RRU.PrbTotDl_r / 100).
//	                      A ratio, 0..1.
//	kpm.ue_count        = mean_r RRC.ConnMean_r.
//	kpm.p95_latency_ms  = P95(DRB.RlcSduDelayDl samples) / 10, in ms. P95 is
//	                      nearest rank: the ceil(0.95*n)-th smallest of n
//	                      samples. KPM carries no percentile: this is the 95th
//	                      percentile of the per-period average delays.
//
// Per node, over the cells in the node's window:
//
//	kpm.prb_utilization = mean of the cells' kpm.prb_utilization
//	kpm.ue_count        = sum of the cells' kpm.ue_count
//	kpm.p95_latency_ms  = P95 over all DRB.RlcSduDelayDl samples of its cells / 10
//
// A metric without input samples is absent from the window, never 0. Other
// measurement names are accepted and kept per window (count, mean, min,
// max) in CellWindow.Measurements.
//
// # Metrics
//
// metrics.go holds every family: the derived metrics as gauges
// e2_kpm_prb_utilization, e2_kpm_ue_count, e2_kpm_p95_latency_ms
// {node_id, cell_id}, computed at scrape time, where the node-level series
// has cell_id="" (Prometheus stores it as {node_id="gnb-001"}: select it
// alone with cell_id=""); e2_kpm_staleness_seconds{node_id};
// e2_kpm_reports_total{result}; e2_kpm_samples_total{result};
// e2_kpm_windows_total{result};
// e2_kpm_request_duration_seconds{handler,code}. README.md has the details
// and the benchmark figures.
package kpm
