package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// reportLatency reports the p50 and p99 of lat in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration, prefix string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), prefix+"p50-ms")
	b.ReportMetric(at(0.99), prefix+"p99-ms")
}

// BenchmarkAppendConcurrent appends one event per call from 64 goroutines,
// each call durable before it returns, as ingest does for single VES events.
func BenchmarkAppendConcurrent(b *testing.B) {
	const appenders = 64
	ctx := context.Background()
	s := openTest(b, b.TempDir(), Options{Now: time.Now})
	ev := testEvent("bench", "du-1", "fault", "MAJOR", time.Now())
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((appenders + procs - 1) / procs)

	var mu sync.Mutex
	var lat []time.Duration
	before := s.Stats()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		batch := []model.Event{ev}
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := s.Append(ctx, batch); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.Events-before.Events)/float64(max(1, st.Transactions-before.Transactions)), "events/commit")
	reportLatency(b, lat, "append-")
}

// BenchmarkQuery queries a store of 1,000,000 events received over the 7
// days of the retention from 1,000 sources. The store is built once per run
// of the benchmark (tens of seconds) in a temporary directory.
func BenchmarkQuery(b *testing.B) {
	const (
		total   = 1_000_000
		sources = 1000
		batch   = 20_000
		span    = 7 * 24 * time.Hour
	)
	ctx := context.Background()
	s := openTest(b, b.TempDir(), Options{Now: func() time.Time { return t0 }})
	domains := []string{"fault", "fault", "fault", "thresholdCrossingAlert", "heartbeat", "measurement"}
	severities := []string{"CRITICAL", "MAJOR", "MINOR", "WARNING", "NORMAL"}
	start := time.Now()
	for i := 0; i < total; i += batch {
		events := make([]model.Event, batch)
		for j := range events {
			n := i + j
			at := t0.Add(-span + time.Duration(int64(span)/total*int64(n)))
			source := fmt.Sprintf("du-%04d", (n*7919)%sources)
			domain := domains[n%len(domains)]
			severity := ""
			if domain == "fault" || domain == "thresholdCrossingAlert" {
				severity = severities[(n/7)%len(severities)]
			}
			events[j] = testEvent(fmt.Sprintf("ev-%d", n), source, domain, severity, at)
		}
		if err := s.Append(ctx, events); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d events in %s", total, time.Since(start).Round(time.Millisecond))

	run := func(name string, full bool, mk func(rng *rand.Rand) Query) {
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			lat := make([]time.Duration, 0, 1024)
			for b.Loop() {
				q := mk(rng)
				t := time.Now()
				p, err := s.Query(ctx, q)
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				if full && len(p.Items) != DefaultLimit {
					b.Fatalf("%+v: %d items, want a full page", q, len(p.Items))
				}
			}
			reportLatency(b, lat, "")
		})
	}
	source := func(rng *rand.Rand) string { return fmt.Sprintf("du-%04d", rng.IntN(sources)) }
	since := func(rng *rand.Rand) time.Time {
		return t0.Add(-24*time.Hour - time.Duration(rng.Int64N(int64(24*time.Hour))))
	}

	// The target: a filtered query, source + since, limit 100.
	run("source+since", true, func(rng *rand.Rand) Query {
		return Query{Source: source(rng), Since: since(rng), Limit: DefaultLimit}
	})
	run("domain+severity+since", true, func(rng *rand.Rand) Query {
		return Query{Domain: "fault", Severity: severities[rng.IntN(len(severities))], Since: since(rng), Limit: DefaultLimit}
	})
	run("since", true, func(rng *rand.Rand) Query {
		return Query{Since: since(rng), Limit: DefaultLimit}
	})
	// A deep page: the cursor of an event about three days old.
	run("source+cursor", false, func(rng *rand.Rand) Query {
		c := cursor{receivedAt: t0.Add(-72 * time.Hour).UnixMicro(), id: total}
		return Query{Source: source(rng), Cursor: c.String(), Limit: DefaultLimit}
	})
}
