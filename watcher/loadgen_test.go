package watcher_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nephoran/nephoran/watcher"
)

// load posts body to url `total` times from `clients` keep-alive
// connections and returns the throughput and the p99 latency. It is the
// repository's load generator: bounded in count, loopback only.
func load(b *testing.B, url string, body []byte, total, clients int) (perSecond float64, p99 time.Duration) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	latencies := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < total; i += clients {
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("%s answered %d", url, resp.StatusCode)
					return
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(latencies...)
	slices.Sort(all)
	if len(all) == 0 {
		b.Fatal("no request succeeded")
	}
	return float64(total) / elapsed.Seconds(), all[len(all)*99/100]
}

// startWatcher runs the whole watcher in process on a free loopback port.
func startWatcher(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- watcher.Run(ctx, watcher.Options{
			Listen: "127.0.0.1:0", Data: b.TempDir(), Rules: b.TempDir(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready:  func(a net.Addr) { ready <- a },
		})
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-ready:
		return "http://" + a.String()
	case err := <-done:
		b.Fatalf("watcher: %v", err)
	}
	return ""
}

// BenchmarkVESLoopback drives `nephoran watch` (schema validation and the
// durable store, over loopback HTTP) and a bare net/http handler that only
// reads the body, with the same load in the same run, single events and
// batches of 100. Targets: >= 20,000 single events/s with p99 < 20 ms,
// >= 60,000 events/s in batches. Run with -benchtime 1x.
func BenchmarkVESLoopback(b *testing.B) {
	event, err := os.ReadFile(filepath.Join("testdata", "onap-ves7-fault-critical.json"))
	if err != nil {
		b.Fatal(err)
	}
	var batch bytes.Buffer
	batch.WriteString(`{"eventList":[`)
	inner := bytes.TrimSuffix(bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(event), []byte(`{`))), []byte(`}`))
	inner = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(inner), []byte(`"event":`)))
	for i := range 100 {
		if i > 0 {
			batch.WriteByte(',')
		}
		batch.Write(inner)
	}
	batch.WriteString(`]}`)

	base := startWatcher(b)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bare.Close()

	// Many producers at once, as a collector sees them: a commit (one fsync)
	// acknowledges every event that arrived while the previous one ran.
	for _, c := range []struct {
		name, path string
		body       []byte
		requests   int
		perRequest int
		clients    int
	}{
		{"single", "/eventListener/v7", event, 20000, 1, 256},
		{"batch100", "/eventListener/v7/eventBatch", batch.Bytes(), 600, 100, 16},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				nephoran, nephoranP99 := load(b, base+c.path, c.body, c.requests, c.clients)
				plain, plainP99 := load(b, bare.URL, c.body, c.requests, c.clients)
				b.ReportMetric(nephoran*float64(c.perRequest), "events/s")
				b.ReportMetric(float64(nephoranP99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(plain*float64(c.perRequest), "bare-events/s")
				b.ReportMetric(float64(plainP99.Microseconds())/1000, "bare-p99-ms")
				b.ReportMetric(nephoran/plain, "ratio")
			}
		})
	}
}
