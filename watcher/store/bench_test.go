package store

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"syscall"
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

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kpmFleet returns n reports of five measurements from cells of 10 per
// node, received one microsecond apart from start.
func kpmFleet(n int, start time.Time) []model.KPMReport {
	reports := make([]model.KPMReport, n)
	for i := range reports {
		reports[i] = testReport(fmt.Sprintf("gnb-%04d", i/10), fmt.Sprintf("cell-%d", i%10), start.Add(time.Duration(i)*time.Microsecond))
	}
	return reports
}

// BenchmarkRecordKPM records reports of five measurements in pushes of 100
// as fast as the writer takes them (the producer waits instead of letting
// the buffer drop), and stops the clock when the last is committed:
// reports/s is what the store sustains. core@10k/s is the process's CPU
// time (every goroutine: RecordKPM's encoding, the writer, SQLite) per
// report times 10,000, the fraction of a core that 10,000 reports a second
// cost.
func BenchmarkRecordKPM(b *testing.B) {
	const push = 100
	s := openTest(b, b.TempDir(), Options{Now: time.Now})
	fleet := kpmFleet(10_000, time.Now())
	cpu := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += push {
		for s.kpm.len() > DefaultKPMBuffer-push {
			time.Sleep(100 * time.Microsecond)
		}
		k := i % len(fleet)
		s.RecordKPM(fleet[k:min(k+push, len(fleet), k+b.N-i)])
	}
	for s.Stats().KPMReports < uint64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	used := cpuTime(b) - cpu
	st := s.Stats()
	if st.KPMDropped > 0 || st.KPMWriteFailed > 0 {
		b.Fatalf("%d dropped, %d failed", st.KPMDropped, st.KPMWriteFailed)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(used.Seconds()/float64(b.N)*10_000, "core@10k/s")
	b.ReportMetric(float64(b.N)/float64(max(1, st.KPMTransactions)), "reports/commit")
}

// BenchmarkAppendConcurrentWithKPM is BenchmarkAppendConcurrent while
// 10,000 KPM reports a second (pushes of 100 every 10 ms) are recorded:
// the append latency it reports is to be compared with
// BenchmarkAppendConcurrent's.
func BenchmarkAppendConcurrentWithKPM(b *testing.B) {
	const appenders = 64
	ctx := context.Background()
	s := openTest(b, b.TempDir(), Options{Now: time.Now})
	ev := testEvent("bench", "du-1", "fault", "MAJOR", time.Now())
	fleet := kpmFleet(10_000, time.Now())
	stop := make(chan struct{})
	var recorded sync.WaitGroup
	recorded.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for k := 0; ; k = (k + 100) % len(fleet) {
			select {
			case <-stop:
				return
			case <-t.C:
				s.RecordKPM(fleet[k : k+100])
			}
		}
	})
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((appenders + procs - 1) / procs)

	var mu sync.Mutex
	var lat []time.Duration
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
	close(stop)
	recorded.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	st := s.Stats()
	b.ReportMetric(float64(st.KPMReports)/b.Elapsed().Seconds(), "kpm-reports/s")
	b.ReportMetric(float64(st.KPMDropped), "kpm-dropped")
	reportLatency(b, lat, "append-")
}

// BenchmarkExportTrace exports 100,000 VES events and 100,000 KPM reports
// received over the same span.
func BenchmarkExportTrace(b *testing.B) {
	const each = 100_000
	ctx := context.Background()
	s := openTest(b, b.TempDir(), Options{})
	events := make([]model.Event, each)
	for i := range events {
		events[i] = testEvent(fmt.Sprintf("ev-%d", i), "du-1", "fault", "MAJOR", t0.Add(time.Duration(i)*time.Millisecond))
	}
	if err := s.Append(ctx, events); err != nil {
		b.Fatal(err)
	}
	fleet := kpmFleet(each, t0)
	for i := range fleet {
		fleet[i].ReceivedAt = t0.Add(time.Duration(i)*time.Millisecond + 500*time.Microsecond)
	}
	for i := 0; i < each; i += 10_000 {
		s.RecordKPM(fleet[i : i+10_000])
		for s.Stats().KPMReports < uint64(i+10_000) {
			time.Sleep(time.Millisecond)
		}
	}
	var lines int
	for b.Loop() {
		n, err := s.ExportTrace(ctx, io.Discard, TraceFilter{})
		if err != nil {
			b.Fatal(err)
		}
		lines = n
	}
	if lines != 2*each {
		b.Fatalf("%d lines", lines)
	}
	b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
}
