package kpm

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
)

// The target load (DESIGN.md, issue 3 "Speed"): 10,000 cells x 5
// measurements every 1 s granularity period.
const (
	benchNodes        = 1000
	benchCellsPerNode = 10
	benchCells        = benchNodes * benchCellsPerNode
	benchMeasurements = 5
)

// benchReports is one granularity period of the whole fleet: 1,000 gNBs of
// 10 cells, each report carrying the five measurements the derived metrics
// read.
func benchReports() []model.KPMReport {
	reports := make([]model.KPMReport, 0, benchCells)
	for n := range benchNodes {
		for c := range benchCellsPerNode {
			i := n*benchCellsPerNode + c
			reports = append(reports, model.KPMReport{
				NodeID:            fmt.Sprintf("gnb-%04d", n),
				CellID:            fmt.Sprintf("nrcell-%02d", c),
				GranularityPeriod: time.Second,
				Measurements: []model.Measurement{
					{Name: RRUPrbUsedDl, Value: float64(i % 273)},
					{Name: RRUPrbAvailDl, Value: 273},
					{Name: RRUPrbTotDl, Value: float64(i % 100)},
					{Name: RRCConnMean, Value: float64(i % 500)},
					{Name: DRBRlcSduDelayDl, Value: float64(i % 300)},
				},
			})
		}
	}
	return reports
}

// BenchmarkIngest10kCells ingests one 1 s granularity period of 10,000
// cells x 5 measurements per iteration, period after period (so windows
// fill to 30 reports per cell and roll over every 30 iterations), through
// Ingest on one goroutine. cells/s must stay far above 10,000.
func BenchmarkIngest10kCells(b *testing.B) {
	clk := newClock(0)
	in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now})
	reports := benchReports()
	b.ReportAllocs()
	periods := 0
	for b.Loop() {
		at := time.Duration(periods) * time.Second
		start := t0.Add(at)
		for i := range reports {
			reports[i].CollectStart = start
		}
		clk.at(at + time.Second)
		in.Ingest(reports)
		periods++
	}
	reportRates(b, periods)
}

// BenchmarkIngest10kCellsParallel is the same load split over GOMAXPROCS
// producers (disjoint node sets, as separate E2 nodes posting at once):
// what the shards buy.
func BenchmarkIngest10kCellsParallel(b *testing.B) {
	clk := newClock(365 * 24 * time.Hour) // far ahead: no report is "future"
	in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now, Retention: 24 * 365 * time.Hour})
	procs := runtime.GOMAXPROCS(0)
	parts := make([][]model.KPMReport, procs)
	all := benchReports()
	for p := range parts {
		parts[p] = all[p*len(all)/procs : (p+1)*len(all)/procs]
	}
	b.ReportAllocs()
	periods := 0
	for b.Loop() {
		start := t0.Add(time.Duration(periods) * time.Second)
		var wg sync.WaitGroup
		for _, part := range parts {
			wg.Go(func() {
				for i := range part {
					part[i].CollectStart = start
				}
				in.Ingest(part)
			})
		}
		wg.Wait()
		periods++
	}
	reportRates(b, periods)
}

func reportRates(b *testing.B, periods int) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(periods*benchCells)/secs, "cells/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(periods*benchCells*benchMeasurements), "ns/sample")
	// The target load is one period per second: the percentage of one
	// core it takes.
	b.ReportMetric(100*secs/float64(periods), "%cpu@1period/s")
}

// BenchmarkDecodeReports10kCells decodes one period of the fleet pushed
// as one JSON array (~2.5 MB): the push endpoint's cost on top of Ingest.
func BenchmarkDecodeReports10kCells(b *testing.B) {
	type wm struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	}
	type wr struct {
		NodeID              string `json:"nodeId"`
		CellID              string `json:"cellId"`
		CollectStartTime    string `json:"collectStartTime"`
		GranularityPeriodMs int    `json:"granularityPeriodMs"`
		Measurements        []wm   `json:"measurements"`
	}
	var wire []wr
	for _, r := range benchReports() {
		w := wr{NodeID: r.NodeID, CellID: r.CellID, CollectStartTime: t0.Format(time.RFC3339), GranularityPeriodMs: 1000}
		for _, m := range r.Measurements {
			w.Measurements = append(w.Measurements, wm(m))
		}
		wire = append(wire, w)
	}
	body, err := json.Marshal(wire)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	periods := 0
	for b.Loop() {
		if _, err := DecodeReports(body, t0); err != nil {
			b.Fatal(err)
		}
		periods++
	}
	reportRates(b, periods)
}

// BenchmarkCollect10kCells is one Prometheus scrape of 10,000 cells with
// full 30-report windows (~40,000 series).
func BenchmarkCollect10kCells(b *testing.B) {
	clk := newClock(0)
	reg := prometheus.NewRegistry()
	in := New(Options{Registerer: reg, Now: clk.Now})
	reports := benchReports()
	for p := range 30 {
		for i := range reports {
			reports[i].CollectStart = t0.Add(time.Duration(p) * time.Second)
		}
		clk.at(time.Duration(p+1) * time.Second)
		in.Ingest(reports)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCloseWindowsNoop is CloseWindows with nothing due, the call
// replay makes after every trace line and the live watcher every second:
// 10,000 cells hold a window that ends later than every now of the loop
// (which moves forward, as replay's clock does).
func BenchmarkCloseWindowsNoop(b *testing.B) {
	clk := newClock(time.Second)
	in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now})
	reports := benchReports()
	for i := range reports {
		reports[i].CollectStart = t0
	}
	in.Ingest(reports)
	if got := in.CloseWindows(clk.Now()); got != nil {
		b.Fatalf("got %d windows", len(got))
	}
	// The clock values are made beforehand: time.Time.Add costs more than
	// the call.
	nows := make([]time.Time, 1<<16)
	for i := range nows {
		nows[i] = clk.Now().Add(time.Duration(i) * 100 * time.Microsecond)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if in.CloseWindows(nows[i&(len(nows)-1)]) != nil {
			b.Fatal("a window closed")
		}
		i++
	}
}

// BenchmarkCloseWindows10kCells is the pass that closes one full window of
// the fleet: 1,000 node windows of 10 cells x 30 reports (ingestion, outside
// the timer, is BenchmarkIngest10kCells).
func BenchmarkCloseWindows10kCells(b *testing.B) {
	clk := newClock(0)
	in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now})
	reports := benchReports()
	in.CloseWindows(clk.Now())
	b.ReportAllocs()
	periods := 0
	for b.Loop() {
		b.StopTimer()
		for range 30 {
			at := time.Duration(periods) * time.Second
			for i := range reports {
				reports[i].CollectStart = t0.Add(at)
			}
			clk.at(at + time.Second)
			in.Ingest(reports)
			periods++
		}
		b.StartTimer()
		if got := in.CloseWindows(clk.Now()); len(got) != benchNodes {
			b.Fatalf("got %d windows", len(got))
		}
	}
}

// BenchmarkIngest10kCellsLive is the live watcher's load per 1 s period:
// Ingest of 10,000 cells then CloseWindows at the same clock, which closes
// the fleet's 1,000 node windows every 30th period.
func BenchmarkIngest10kCellsLive(b *testing.B) {
	clk := newClock(0)
	in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now})
	reports := benchReports()
	b.ReportAllocs()
	periods := 0
	for b.Loop() {
		at := time.Duration(periods) * time.Second
		start := t0.Add(at)
		for i := range reports {
			reports[i].CollectStart = start
		}
		clk.at(at + time.Second)
		in.Ingest(reports)
		in.CloseWindows(clk.Now())
		periods++
	}
	reportRates(b, periods)
}
