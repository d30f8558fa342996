package ves

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/nephoran/nephoran/watcher/model"
)

// discard is a Sink that keeps nothing: the benchmarks measure the listener.
var discard = SinkFunc(func(context.Context, []model.Event) error { return nil })

// benchListener runs body through the handler in-process, serially and on
// every P, and reports events/s (events per request times requests/s).
func benchListener(b *testing.B, path string, body []byte, eventsPerRequest int) {
	l, _ := newTestListener(b, discard)
	do := func() error {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			return fmt.Errorf("status %d: %s", rec.Code, rec.Body.String())
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		n := 0
		for b.Loop() {
			if err := do(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(n*eventsPerRequest)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		var n, failed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if do() != nil {
					failed.Add(1)
				}
				n.Add(1)
			}
		})
		if failed.Load() > 0 {
			b.Fatalf("%d requests not accepted", failed.Load())
		}
		b.ReportMetric(float64(n.Load()*int64(eventsPerRequest))/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkSingleEvent: one fault sample per request to /eventListener/v7.
func BenchmarkSingleEvent(b *testing.B) {
	benchListener(b, PathEvent, readSample(b, "onap-ves7-fault-critical.json"), 1)
}

// BenchmarkBatch100: 100 faults per request to /eventListener/v7/eventBatch,
// each the batch sample's first event with its own eventId.
func BenchmarkBatch100(b *testing.B) {
	first := sampleEvents(b, readSample(b, "onap-ves7-batch-fault.json"))[0]
	eventID := regexp.MustCompile(`"eventId"\s*:\s*"[^"]*"`)
	if !eventID.Match(first) {
		b.Fatal("sample has no eventId")
	}
	var body bytes.Buffer
	body.WriteString(`{"eventList":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(eventID.ReplaceAll(first, fmt.Appendf(nil, `"eventId":"bench-%03d"`, i)))
	}
	body.WriteString(`]}`)
	benchListener(b, PathBatch, body.Bytes(), 100)
}
