package watcher_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/porchserver"
	"github.com/nephoran/nephoran/watcher"
)

// proposedOf returns the watcher's Proposed revision of package pkg, ok
// false while there is none.
func proposedOf(s *porchserver.Server, pkg string) bool {
	for _, r := range s.Package(porchRepo, pkg) {
		if len(r.Workspace) == 16 && r.Lifecycle == porchserver.Proposed {
			return true
		}
	}
	return false
}

// BenchmarkWindowCloseToProposedRevision measures, in process against the
// Porch stand-in, the time from the KPM report that closes a breaching
// window (it moves the clock past the window's end and grace) to the CNF's
// revision being Proposed: decide, queue, Draft from the latest Published
// revision, intent and render, resources update (Porch re-renders), and
// the lifecycle update. One CNF (one KPM node) per iteration.
//
//	go test ./watcher -run '^$' -bench WindowCloseToProposedRevision -benchtime 100x
func BenchmarkWindowCloseToProposedRevision(b *testing.B) {
	s := porchserver.Start(b)
	pkgs := publishUPFs(b, s, b.N)
	epoch := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	clock := &movingClock{t: epoch}
	base := runInProcess(b, watcher.Options{Rules: writeRules(b, upfScaleOutRule), Now: clock.Now,
		Config: watcher.Config{Porch: porchConfig(s, pkgs)}})
	windowCloseLatency(b, base, clock, func(i int) bool { return proposedOf(s, pkgs[fmt.Sprintf("upf-%02d", i)]) })
}

// upfScaleOutRule scales out every UPF whose PRB utilization is above 0.85.
const upfScaleOutRule = `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling
spec:
  target: {nfType: upf}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
`

// windowCloseLatency measures b.N window closes through the watcher at
// base (on clock): for CNF i (KPM node gnb-<i>), three reports of a
// breaching window, then the timed one that moves the clock past the
// window's end and grace, until arrived(i). It reports p50-ms and p99-ms.
func windowCloseLatency(b *testing.B, base string, clock *movingClock, arrived func(i int) bool) {
	report := func(node string, collect, now time.Time) {
		clock.Set(now)
		post(b, base+"/api/v1/kpm/reports", fmt.Sprintf(`{"nodeId":%q,"cellId":"cell-001","collectStartTime":%q,"granularityPeriodMs":10000,
"measurements":[{"name":"RRU.PrbUsedDl","value":90},{"name":"RRU.PrbAvailDl","value":100}]}`, node, collect.Format(time.RFC3339)), http.StatusAccepted)
	}
	epoch := clock.Now()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		node, start := fmt.Sprintf("gnb-%03d", i), epoch.Add(time.Duration(i)*time.Minute)
		for at := 0; at < 30; at += 10 {
			report(node, start.Add(time.Duration(at)*time.Second), start.Add(time.Duration(at+10)*time.Second))
		}
		b.StartTimer()
		t0 := time.Now()
		report(node, start.Add(30*time.Second), start.Add(40*time.Second))
		for deadline := t0.Add(time.Minute); !arrived(i); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("nothing arrived for CNF %d a minute after its window closed", i)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkPorchProposals1000CNFs measures the Porch backend's throughput:
// 1,000 CNFs published in the stand-in, one LINK_DOWN each posted at once,
// until the 1,000th revision is Proposed. Reports proposals per minute.
//
//	go test ./watcher -run '^$' -bench PorchProposals1000CNFs -benchtime 1x
func BenchmarkPorchProposals1000CNFs(b *testing.B) {
	const n = 1000
	for range b.N {
		b.StopTimer()
		s := porchserver.Start(b)
		pkgs := publishUPFs(b, s, n)
		rules := b.TempDir()
		require.NoError(b, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
		cfg := porchConfig(s, pkgs)
		cfg.Refresh = "" // the default, 10 s: each read lists 2,000 revisions
		base := runInProcess(b, watcher.Options{Rules: rules, Config: watcher.Config{Porch: cfg}})
		b.StartTimer()
		t0 := time.Now()
		for i := range n {
			post(b, base+"/eventListener/v7", linkDownFrom(fmt.Sprintf("src-%02d", i), fmt.Sprintf("ld-%04d", i)), http.StatusAccepted)
		}
		for s.Count(porchRepo, porchserver.Proposed) < n {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(t0)
		b.StopTimer()
		b.ReportMetric(n/elapsed.Minutes(), "proposals/min")
	}
}
