package decide_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/model"
)

// BenchmarkWindow is decide's share of the KPM target: 10,000 cells with 5
// measurements each per second, as 333 E2 nodes of 30 cells sending one
// closed window a second, on one core, with 3 rules (one with for: 3 and a
// clearCondition). One op is one Window call; cells/s is what it sustains.
func BenchmarkWindow(b *testing.B) {
	const (
		nodes        = 333
		cellsPerNode = 30
	)
	measurements := []string{"RRU.PrbUsedDl", "RRU.PrbAvailDl", "RRU.PrbTotDl", "RRC.ConnMean", "DRB.RlcSduDelayDl"}
	latency := func(_ context.Context, in *model.Input) (bool, error) {
		return in.Metrics["kpm.p95_latency_ms"] > 40, nil
	}
	rules := []model.Rule{
		metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), forN(3), clearWhen(prbBelow(0.6))),
		metricRule("lo-prb", nephv1.ActionScaleIn, prbBelow(0.2), forN(3)),
		metricRule("latency", nephv1.ActionRestart, latency, priority(10)),
	}
	s := decide.New(decide.Options{})
	if err := s.SetRules(rules); err != nil {
		b.Fatal(err)
	}
	var cnfs []*nephv1.CNFDeployment
	windows := make([]model.Window, nodes)
	for n := range nodes {
		node := fmt.Sprintf("gnb-%03d", n)
		// Node n sits at its own load: some above 0.85, some below 0.2.
		load := float64(n%10)/10 + 0.05
		w := model.Window{NodeID: node, Metrics: map[string]float64{}, Cells: map[string]map[string]float64{}}
		var ids []string
		for c := range cellsPerNode {
			id := fmt.Sprintf("%s-c%02d", node, c)
			ids = append(ids, id)
			cell := map[string]float64{prb: load, "kpm.ue_count": 10, "kpm.p95_latency_ms": 5 + float64(n%50)}
			for i, m := range measurements {
				cell[m] = float64(10*i + c)
			}
			w.Cells[id] = cell
		}
		for k, v := range w.Cells[ids[0]] {
			w.Metrics[k] = v
		}
		windows[n] = w
		opts := []func(*nephv1.CNFDeployment){}
		if n%2 == 0 {
			opts = append(opts, withCells(ids[:cellsPerNode/2]...)) // a CNF on half the cells
		}
		cnfs = append(cnfs, newCNF(fmt.Sprintf("cnf-%03d", n), node, 3, 1, 6, opts...))
	}
	s.SetInventory(cnfs)
	ctx := context.Background()
	decisions, suppressions := 0, 0

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := windows[i%nodes]
		w.Start = t0.Add(time.Duration(i/nodes) * time.Second)
		w.End = w.Start.Add(time.Second)
		w.Newest = w.End
		out, errs := s.Window(ctx, w, w.End.Add(100*time.Millisecond))
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		for _, d := range out {
			if d.Suppressed == "" {
				decisions++
			} else {
				suppressions++
			}
		}
	}
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/elapsed, "windows/s")
	b.ReportMetric(float64(b.N*cellsPerNode)/elapsed, "cells/s")
	b.ReportMetric(float64(suppressions+decisions)/float64(b.N), "outputs/op")
}

// BenchmarkEvent is one VES fault event through dedup, incidents and one
// rule: a steady mix of new alarms and repeats of open incidents.
func BenchmarkEvent(b *testing.B) {
	const sources = 100
	s := decide.New(decide.Options{})
	if err := s.SetRules([]model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart, minSeverity(nephv1.SeverityMajor))}); err != nil {
		b.Fatal(err)
	}
	var cnfs []*nephv1.CNFDeployment
	for n := range sources {
		cnfs = append(cnfs, newCNF(fmt.Sprintf("du-%03d", n), fmt.Sprintf("gnb-%03d", n), 2, 1, 5))
	}
	s.SetInventory(cnfs)
	events := make([]model.Event, 1000)
	for i := range events {
		events[i] = fault(fmt.Sprintf("du-%03d", i%sources), fmt.Sprintf("f-%d", i), i, fmt.Sprintf("Alarm%d", i%7), "MAJOR", time.Time{})
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := events[i%len(events)]
		now := t0.Add(time.Duration(i) * time.Millisecond)
		e.ReceivedAt = now
		if _, errs := s.Event(ctx, e, now); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
