package watcher

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nephoran/nephoran/internal/tracegen"
	"github.com/nephoran/nephoran/watcher/model"
)

// BenchmarkReplay24h replays 24 hours of 100 cells (4 E2 nodes x 25 cells)
// reporting every second: 8,640,000 KPM reports, generated while replay
// reads them (never written to disk), through the PRB rules of
// testdata/traces/rules. It reports the speed-up over real time (target
// >= 1,000x; under a minute means >= 1,440x).
//
//	go test ./watcher -run '^$' -bench Replay24h -benchtime 1x
func BenchmarkReplay24h(b *testing.B) {
	benchmarkReplay(b, 24*time.Hour, false)
}

// BenchmarkReplay1hBatched is the same trace for one hour, in batched lines (one
// line per node and second, a JSON array of its 25 cells), the shape
// `nephoran trace export` does not write but a producer's capture may.
func BenchmarkReplay1hBatched(b *testing.B) {
	benchmarkReplay(b, time.Hour, true)
}

func benchmarkReplay(b *testing.B, span time.Duration, batch bool) {
	const nodes, cells = 4, 25
	packages := b.TempDir()
	for n := range nodes {
		cnf := fmt.Sprintf(`apiVersion: nephoran.com/v1
kind: CNFDeployment
metadata:
  name: upf-%d
spec:
  nfType: upf
  image: registry.example.com/nephoran/upf:1.4.2
  replicas: 2
  scaling: {minReplicas: 1, maxReplicas: 10}
  kpm: {nodeId: %s}
`, n, tracegen.NodeID(n))
		if err := os.WriteFile(filepath.Join(packages, fmt.Sprintf("upf-%d.yaml", n)), []byte(cnf), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// A daily load curve: each node crosses the scale-out threshold in the
	// busy hour and the scale-in one at night.
	prb := func(node int, off time.Duration) float64 {
		h := off.Hours() + float64(node)
		switch {
		case int(h)%24 >= 18 && int(h)%24 < 20:
			return 0.92
		case int(h)%24 < 5:
			return 0.2
		}
		return 0.55
	}
	trace := tracegen.KPM{Nodes: nodes, CellsPerNode: cells, Step: time.Second, Duration: span, PRB: prb, Batch: batch}
	opts := ReplayOptions{Packages: packages, Rules: filepath.Join("..", "testdata", "traces", "rules")}
	b.ResetTimer()
	for range b.N {
		r, w := io.Pipe()
		go func() { w.CloseWithError(trace.Write(w)) }()
		start := time.Now()
		var decisions int
		sum, err := Replay(context.Background(), opts, r, func(d model.Decision) error {
			if d.Suppressed == "" {
				decisions++
			}
			return nil
		})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if want := nodes * cells * int(span/time.Second); sum.KPMReports != want {
			b.Fatalf("replayed %d reports, want %d", sum.KPMReports, want)
		}
		if span >= 24*time.Hour && decisions == 0 {
			b.Fatal("the load curve must make decisions")
		}
		b.ReportMetric(span.Seconds()/took.Seconds(), "x-realtime")
		b.ReportMetric(float64(sum.KPMReports)/took.Seconds(), "reports/s")
		b.ReportMetric(float64(decisions), "decisions")
	}
}

// BenchmarkReplay1h is the 24-hour trace's first hour, for profiling.
func BenchmarkReplay1h(b *testing.B) {
	benchmarkReplay(b, time.Hour, false)
}
