package model

import "time"

// Measurement is one E2SM-KPM measurement value, named as 3GPP TS 28.552
// writes it (RRU.PrbUsedDl, RRU.PrbAvailDl, RRU.PrbTotDl, DRB.RlcSduDelayDl,
// RRC.ConnMean).
type Measurement struct {
	Name  string
	Value float64
}

// KPMReport is one cell's measurements for one granularity period, shaped
// like E2SM-KPM Indication Message Format 1. Entries that carried no value
// are already left out.
type KPMReport struct {
	NodeID            string
	CellID            string
	CollectStart      time.Time
	GranularityPeriod time.Duration
	Measurements      []Measurement
	// ReceivedAt is when the watcher got the report.
	ReceivedAt time.Time
}
