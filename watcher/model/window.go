package model

import "time"

// Window is one closed KPM window of one E2 node: what a metric rule is
// evaluated on, once. Windows are tumbling and epoch-aligned; a window closes
// when the clock passes End, whatever moves the clock.
type Window struct {
	NodeID string
	// Start and End bound the window [Start, End).
	Start, End time.Time
	// Metrics are the node-level values: kpm.prb_utilization (mean over
	// cells), kpm.ue_count (sum), kpm.p95_latency_ms (over every sample),
	// and each raw measurement's mean by its TS 28.552 name.
	Metrics map[string]float64
	// Cells are the same values per cell id.
	Cells map[string]map[string]float64
	// Newest is the end of the newest sample's collection period
	// (collectStartTime + granularityPeriod): staleness is measured from it.
	Newest time.Time
	// Disconnected is set when e2mgr reported the node not CONNECTED.
	Disconnected bool
}
