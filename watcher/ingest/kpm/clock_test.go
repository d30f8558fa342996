package kpm

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
)

// t0 is the start of a 30 s window (1735689600 is a multiple of 30).
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is the fake clock tests inject as Options.Now; safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(at time.Duration) *clock {
	c := &clock{}
	c.at(at)
	return c
}

// at sets the clock to t0 + d.
func (c *clock) at(d time.Duration) { c.ns.Store(t0.Add(d).UnixNano()) }

func (c *clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// newTestIngester returns an Ingester on a fresh registry and a fake clock
// at t0 + at.
func newTestIngester(at time.Duration) (*Ingester, *clock, *prometheus.Registry) {
	clk := newClock(at)
	reg := prometheus.NewRegistry()
	in := New(Options{Registerer: reg, Now: clk.Now})
	return in, clk, reg
}

// report is one cell's report of a 1 s granularity period starting at t0 + at.
func report(nodeID, cellID string, at time.Duration, ms ...model.Measurement) model.KPMReport {
	return model.KPMReport{
		NodeID:            nodeID,
		CellID:            cellID,
		CollectStart:      t0.Add(at),
		GranularityPeriod: time.Second,
		Measurements:      ms,
	}
}

func meas(name string, v float64) model.Measurement { return model.Measurement{Name: name, Value: v} }

func prb(used, avail float64) []model.Measurement {
	return []model.Measurement{meas(RRUPrbUsedDl, used), meas(RRUPrbAvailDl, avail)}
}
