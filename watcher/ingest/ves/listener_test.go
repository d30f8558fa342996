package ves

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

const samplesDir = "testdata/samples"

var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// memSink is an in-memory Sink that records every Append it got.
type memSink struct {
	mu      sync.Mutex
	appends [][]model.Event
	err     error
	// onAppend, when set, runs at the start of each Append.
	onAppend func()
}

func (s *memSink) Append(_ context.Context, events []model.Event) error {
	if s.onAppend != nil {
		s.onAppend()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.appends = append(s.appends, append([]model.Event(nil), events...))
	return nil
}

func (s *memSink) events() []model.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []model.Event
	for _, a := range s.appends {
		all = append(all, a...)
	}
	return all
}

func newTestListener(t testing.TB, sink Sink, mutate ...func(*Options)) (*Listener, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts := Options{Sink: sink, Registerer: reg, Now: func() time.Time { return fixedNow }}
	for _, m := range mutate {
		m(&opts)
	}
	l, err := New(opts)
	require.NoError(t, err)
	return l, reg
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	require.NoError(t, err)
	return b
}

// pathFor sends a sample to the endpoint its top-level key names.
func pathFor(t testing.TB, body []byte) string {
	t.Helper()
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &top))
	if _, ok := top["eventList"]; ok {
		return PathBatch
	}
	require.Contains(t, top, "event")
	return PathEvent
}

func post(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func requireVersionHeaders(t testing.TB, h http.Header) {
	t.Helper()
	require.Equal(t, "2", h.Get("X-MinorVersion"))
	require.Equal(t, "1", h.Get("X-PatchVersion"))
	require.Equal(t, "7.2.1", h.Get("X-LatestVersion"))
}

// exceptionBody is the spec's error body, decoded strictly.
type exceptionBody struct {
	MessageID string   `json:"messageId"`
	Text      string   `json:"text"`
	Variables []string `json:"variables"`
}

// requireError checks status, the JSON error shape (exactly one exception
// of the expected kind) and the message id; it returns the exception.
func requireError(t testing.TB, rec *httptest.ResponseRecorder, status int, kind exceptionKind, messageID string) exceptionBody {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body.String())
	requireVersionHeaders(t, rec.Header())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body struct {
		RequestError map[exceptionKind]exceptionBody `json:"requestError"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body), "body: %s", rec.Body.String())
	require.Len(t, body.RequestError, 1, "body: %s", rec.Body.String())
	exc, ok := body.RequestError[kind]
	require.True(t, ok, "want %s in %s", kind, rec.Body.String())
	require.Equal(t, messageID, exc.MessageID)
	require.NotEmpty(t, exc.Text)
	return exc
}

func requireAccepted(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	require.Equal(t, http.StatusAccepted, rec.Code, "body: %s", rec.Body.String())
	requireVersionHeaders(t, rec.Header())
	require.Empty(t, rec.Body.Bytes())
}

// sourcesCodes maps each sample file to the message ids its SOURCES.md row names.
func sourcesCodes(t testing.TB) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(samplesDir, "SOURCES.md"))
	require.NoError(t, err)
	defer f.Close()
	code := regexp.MustCompile(`\b(?:SVC|POL)\d{4}\b`)
	rows := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 3 {
			continue
		}
		name := strings.TrimSpace(cells[1])
		if strings.HasSuffix(name, ".json") {
			rows[name] = code.FindAllString(sc.Text(), -1)
		}
	}
	require.NoError(t, sc.Err())
	return rows
}

// wantField is the field each refused sample's error must name.
var wantField = map[string]string{
	"EDGE-oransc-smo-ves-fault-faultFieldsVersion-1.0.json":   "/event/faultFields/faultFieldsVersion",
	"EDGE-oransc-smo-ves-measurement-networkSliceArray.json":  "/event/measurementFields/networkSliceArray",
	"EDGE-oransc-smo-ves-stndDefined-epoch-as-string.json":    "/event/commonEventHeader/lastEpochMicrosec",
	"EDGE-spec-ves721-eventBatch-sample.json":                 "/eventList/0/faultFields/faultFieldsVersion",
	"EDGE-spec-ves721-fault-sample.json":                      "/event/faultFields/faultFieldsVersion",
	"INVALID-onap-batch-mixed-domains.json":                   "/eventList/1/commonEventHeader/domain",
	"INVALID-onap-batch-stndDefined-different-namespace.json": "/eventList/1/commonEventHeader/stndDefinedNamespace",
	"INVALID-onap-stndDefined-empty-namespace.json":           "/event/commonEventHeader/stndDefinedNamespace",
	"INVALID-onap-stndDefined-missing-namespace.json":         "/event/commonEventHeader/stndDefinedNamespace",
	"INVALID-onap-ves7-fault-bad-listener-version.json":       "/event/commonEventHeader/vesEventListenerVersion",
	"INVALID-onap-ves7-pnfreg-bad-ipv4.json":                  "/event/pnfRegistrationFields/oamV4IpAddress",
	"INVALID-oransc-smo-ves-bad-domain.json":                  "/event/commonEventHeader/domain",
}

// stndDefinedDataUnchecked is the INVALID sample whose only fault is in
// stndDefined data, which strict mode does not check against 3GPP schemas.
const stndDefinedDataUnchecked = "INVALID-onap-stndDefined-data-vs-3gpp-schema.json"

// TestSamples runs every top-level sample (not templates/) through the
// listener in strict mode, as its name and SOURCES.md row say it must fare,
// and again in lenient mode: every EDGE-* sample is accepted there (as
// lenient), everything else fares as in strict mode, except
// lenientAcceptsDomainBlock.
func TestSamples(t *testing.T) {
	codes := sourcesCodes(t)
	entries, err := os.ReadDir(samplesDir)
	require.NoError(t, err)
	var seen int
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		seen++
		for _, lenient := range []bool{false, true} {
			mode := "strict"
			if lenient {
				mode = "lenient"
			}
			t.Run(mode+"/"+name, func(t *testing.T) {
				require.Contains(t, codes, name, "every sample has a SOURCES.md row")
				body := readSample(t, name)
				path := pathFor(t, body)
				sink := &memSink{}
				l, _ := newTestListener(t, sink, func(o *Options) { o.Lenient = lenient })
				rec := post(l, path, body)

				switch {
				case strings.HasPrefix(name, "INVALID-") && name != stndDefinedDataUnchecked &&
					!(lenient && name == lenientAcceptsDomainBlock):
					want := "SVC0002"
					if c := codes[name]; len(c) > 0 {
						want = c[0]
					}
					exc := requireError(t, rec, http.StatusBadRequest, serviceException, want)
					require.Contains(t, exc.Variables, wantField[name], "the error names the failing field")
					require.Empty(t, sink.events(), "nothing refused is stored")
					requireCounted(t, l, body, resultRejected)
				case strings.HasPrefix(name, "EDGE-") && !lenient:
					exc := requireError(t, rec, http.StatusBadRequest, serviceException, SVC0002)
					require.Contains(t, exc.Variables, wantField[name], "the error names the failing field")
					require.Empty(t, sink.events())
					requireCounted(t, l, body, resultRejected)
				case lenient && (strings.HasPrefix(name, "EDGE-") || name == lenientAcceptsDomainBlock):
					requireAccepted(t, rec)
					require.Len(t, sink.appends, 1, "one Append per request")
					got := sink.events()
					require.Len(t, got, len(sampleEvents(t, body)))
					for i, ev := range got {
						require.Equal(t, model.Lenient, ev.Result)
						require.Equal(t, []byte(sampleEvents(t, body)[i]), []byte(ev.Raw), "Raw is as received")
						require.Equal(t, wantDeviations[name], ev.Deviations)
					}
					requireCounted(t, l, body, string(model.Lenient))
				default: // plain-named samples and the stndDefined data case
					requireAccepted(t, rec)
					require.Len(t, sink.appends, 1, "one Append per request")
					if lenient && wantDeviations[name] != nil {
						// Strict-valid, but lenient mode reads its epochs as what they are.
						for _, ev := range sink.events() {
							require.Equal(t, model.Lenient, ev.Result)
							require.Equal(t, wantDeviations[name], ev.Deviations)
						}
						requireCounted(t, l, body, string(model.Lenient))
						return
					}
					requireStored(t, body, sink.events())
					result := string(model.Accepted)
					if sink.events()[0].Domain == domainStndDefined {
						result = string(model.StndDefinedUnvalidated)
					}
					requireCounted(t, l, body, result)
				}
			})
		}
	}
	require.GreaterOrEqual(t, seen, 25, "the samples are all there")
}

// sampleEvents returns the event elements of a sample body as encoding/json sees them.
func sampleEvents(t testing.TB, body []byte) []json.RawMessage {
	t.Helper()
	var top struct {
		Event     json.RawMessage   `json:"event"`
		EventList []json.RawMessage `json:"eventList"`
	}
	require.NoError(t, json.Unmarshal(body, &top))
	if top.Event != nil {
		return []json.RawMessage{top.Event}
	}
	return top.EventList
}

// requireStored checks that each event of body was stored once, with its
// bytes as received and its header fields copied.
func requireStored(t testing.TB, body []byte, got []model.Event) {
	t.Helper()
	want := sampleEvents(t, body)
	require.Len(t, got, len(want))
	for i, ev := range got {
		require.Equal(t, []byte(want[i]), []byte(ev.Raw), "Raw is the element's bytes, not a re-encoding")
		var e struct {
			H struct {
				Domain, EventID, EventName, SourceName, ReportingEntityName, Priority, StndDefinedNamespace string
				StartEpochMicrosec, LastEpochMicrosec                                                       int64
			} `json:"commonEventHeader"`
			Fault *struct{ EventSeverity string } `json:"faultFields"`
			TCA   *struct{ EventSeverity string } `json:"thresholdCrossingAlertFields"`
		}
		require.NoError(t, json.Unmarshal(want[i], &e))
		wantEv := model.Event{
			ReceivedAt: fixedNow, Domain: e.H.Domain, EventID: e.H.EventID, EventName: e.H.EventName,
			SourceName: e.H.SourceName, ReportingEntityName: e.H.ReportingEntityName, Priority: e.H.Priority,
			StartEpochMicrosec: e.H.StartEpochMicrosec, LastEpochMicrosec: e.H.LastEpochMicrosec,
			StndDefinedNamespace: e.H.StndDefinedNamespace, Result: model.Accepted, Raw: ev.Raw,
		}
		switch {
		case e.Fault != nil:
			wantEv.Severity = e.Fault.EventSeverity
		case e.TCA != nil:
			wantEv.Severity = e.TCA.EventSeverity
		}
		if e.H.Domain == domainStndDefined {
			wantEv.Result = model.StndDefinedUnvalidated
		}
		require.Equal(t, wantEv, ev)
	}
}

// requireCounted checks ves_events_total for the events of body.
func requireCounted(t testing.TB, l *Listener, body []byte, result string) {
	t.Helper()
	perDomain := map[string]float64{}
	for _, raw := range sampleEvents(t, body) {
		var e struct {
			H struct{ Domain string } `json:"commonEventHeader"`
		}
		require.NoError(t, json.Unmarshal(raw, &e))
		perDomain[l.domainLabel(e.H.Domain)]++
	}
	for domain, n := range perDomain {
		require.Equal(t, n, testutil.ToFloat64(l.metrics.events.WithLabelValues(domain, result)), "ves_events_total{domain=%q,result=%q}", domain, result)
	}
	require.Equal(t, len(perDomain), testutil.CollectAndCount(l.metrics.events), "no other series")
}

// TestRequests covers what the samples do not: HTTP, limits, the envelope,
// and the error bodies.
func TestRequests(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	batch := readSample(t, "onap-ves7-batch-fault.json")
	padTo := func(b []byte, n int) []byte {
		return append(append([]byte{}, b...), bytes.Repeat([]byte(" "), n-len(b))...)
	}

	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		kind        exceptionKind
		messageID   string
		field       string // a variable the error must carry
		stored      int
	}{
		{name: "body one byte over 2 MiB is a policy exception", path: PathEvent, body: padTo(fault, DefaultMaxBodyBytes+1),
			status: 400, kind: policyException, messageID: POL9003},
		{name: "body of exactly 2 MiB is still read and accepted", path: PathEvent, body: padTo(fault, DefaultMaxBodyBytes),
			status: 202, stored: 1},
		{name: "GET is not a VES method", method: http.MethodGet, path: PathEvent,
			status: 405, kind: serviceException, messageID: SVC0001, field: "GET"},
		{name: "PUT on the batch path is not a VES method", method: http.MethodPut, path: PathBatch, body: batch,
			status: 405, kind: serviceException, messageID: SVC0001, field: "PUT"},
		{name: "broken JSON names where it broke", path: PathEvent, body: fault[:len(fault)/2],
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "trailing data after the object is not one JSON value", path: PathEvent, body: append(append([]byte{}, fault...), "{}"...),
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "empty body", path: PathEvent, body: nil,
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "invalid UTF-8 is not JSON", path: PathEvent, body: []byte("{\"event\":\"\xff\"}"),
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "duplicate member could be read two ways", path: PathEvent, body: []byte(`{"event":{"commonEventHeader":{},"commonEventHeader":{}}}`),
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "nesting beyond the bound is refused, not recursed", path: PathEvent,
			body:   []byte(`{"event":{"otherFields":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`),
			status: 400, kind: serviceException, messageID: SVC0002},
		{name: "top-level array is not the envelope", path: PathEvent, body: []byte(`[]`),
			status: 400, kind: serviceException, messageID: SVC0002, field: "the top-level value must be an object"},
		{name: "empty object passes the schema but has no event", path: PathEvent, body: []byte(`{}`),
			status: 400, kind: serviceException, messageID: SVC0002, field: "/event"},
		{name: "a batch sent to the single endpoint", path: PathEvent, body: batch,
			status: 400, kind: serviceException, messageID: SVC0002, field: "/event"},
		{name: "a single event sent to the batch endpoint", path: PathBatch, body: fault,
			status: 400, kind: serviceException, messageID: SVC0002, field: "/eventList"},
		{name: "both event and eventList is ambiguous", path: PathEvent, body: []byte(`{"event":{},"eventList":[]}`),
			status: 400, kind: serviceException, messageID: SVC0002, field: "/eventList"},
		{name: "empty batch has nothing to accept", path: PathBatch, body: []byte(`{"eventList":[]}`),
			status: 400, kind: serviceException, messageID: SVC0002, field: "/eventList"},
		{name: "missing required header field is named", path: PathEvent,
			body:   bytes.Replace(fault, []byte(`"sourceName"`), []byte(`"sourceNameX"`), 1),
			status: 400, kind: serviceException, messageID: SVC0002, field: "/event/commonEventHeader/sourceName"},
		{name: "text/plain is refused like the collector does", path: PathEvent, contentType: "text/plain", body: fault,
			status: 415, kind: serviceException, messageID: SVC0002, field: "text/plain"},
		{name: "no Content-Type is refused", path: PathEvent, contentType: "-", body: fault,
			status: 415, kind: serviceException, messageID: SVC0002},
		{name: "charset parameter is still application/json", path: PathEvent, contentType: "application/json; charset=UTF-8", body: fault,
			status: 202, stored: 1},
		{name: "unknown top-level members are allowed by the schema", path: PathEvent,
			body:   []byte(`{"VESversion":"v7",` + string(fault[bytes.IndexByte(fault, '{')+1:])),
			status: 202, stored: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			l, _ := newTestListener(t, sink)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, tc.path, bytes.NewReader(tc.body))
			switch tc.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, req)
			if tc.status == http.StatusAccepted {
				requireAccepted(t, rec)
			} else {
				exc := requireError(t, rec, tc.status, tc.kind, tc.messageID)
				if tc.field != "" {
					require.Contains(t, exc.Variables, tc.field)
				}
			}
			if tc.status == http.StatusMethodNotAllowed {
				require.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
			}
			require.Len(t, sink.events(), tc.stored)
		})
	}
}

// countingReader counts what the listener read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestBodyLimitWithoutContentLength: a chunked body has no declared size,
// so the limit is enforced while reading, and reading stops at limit+1.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	const limit = 4096
	sink := &memSink{}
	l, _ := newTestListener(t, sink, func(o *Options) { o.MaxBodyBytes = limit })
	body := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte(" "), 10*limit))}
	req := httptest.NewRequest(http.MethodPost, PathEvent, body)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, req)
	exc := requireError(t, rec, http.StatusBadRequest, policyException, POL9003)
	require.Equal(t, "Message content size exceeds the allowable limit", exc.Text)
	require.LessOrEqual(t, body.n, int64(limit+1), "read no more than the limit and one byte")
	require.Empty(t, sink.events())
}

// orderWriter records when the response status is written.
type orderWriter struct {
	*httptest.ResponseRecorder
	log *[]string
}

func (w orderWriter) WriteHeader(code int) {
	*w.log = append(*w.log, "status "+http.StatusText(code))
	w.ResponseRecorder.WriteHeader(code)
}

// TestSinkDecidesTheAnswer: 202 only after Append returned nil; a failed
// Append is a 503 and never a 202.
func TestSinkDecidesTheAnswer(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	cases := []struct {
		name      string
		sinkErr   error
		wantOrder []string
	}{
		{name: "durable append is answered 202 after it returns", wantOrder: []string{"append", "status Accepted"}},
		{name: "failed append is answered 503, not 202", sinkErr: errors.New("disk full"), wantOrder: []string{"append", "status Service Unavailable"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var order []string
			sink := &memSink{err: tc.sinkErr, onAppend: func() { order = append(order, "append") }}
			l, _ := newTestListener(t, sink)
			req := httptest.NewRequest(http.MethodPost, PathEvent, bytes.NewReader(fault))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			l.ServeHTTP(orderWriter{rec, &order}, req)
			require.Equal(t, tc.wantOrder, order)
			if tc.sinkErr == nil {
				requireAccepted(t, rec)
				require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "accepted")))
				return
			}
			exc := requireError(t, rec, http.StatusServiceUnavailable, serviceException, SVC2000)
			require.Equal(t, []string{"Service Unavailable", "503"}, exc.Variables)
			require.NotContains(t, rec.Body.String(), "disk full", "internal errors stay in the log")
			require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", resultRejected)))
			require.Equal(t, 0.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "accepted")))
		})
	}
}

// TestMetrics: label values stay bounded, and every answer is timed.
func TestMetrics(t *testing.T) {
	l, reg := newTestListener(t, &memSink{})
	rec := post(l, PathEvent, readSample(t, "INVALID-oransc-smo-ves-bad-domain.json"))
	requireError(t, rec, http.StatusBadRequest, serviceException, SVC0002)
	rec = post(l, PathBatch, readSample(t, "onap-ves7-batch-stndDefined.json"))
	requireAccepted(t, rec)
	rec = post(l, PathEvent, []byte(`{"event":`))
	requireError(t, rec, http.StatusBadRequest, serviceException, SVC0002)

	want := `
# HELP ves_events_total VES events received, by commonEventHeader.domain ("invalid" when not a VES 7.2.1 domain) and result (accepted, stndDefined_unvalidated, lenient, rejected).
# TYPE ves_events_total counter
ves_events_total{domain="invalid",result="rejected"} 2
ves_events_total{domain="stndDefined",result="stndDefined_unvalidated"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "ves_events_total"))

	families, err := reg.Gather()
	require.NoError(t, err)
	counts := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "ves_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			counts[labels["endpoint"]+" "+labels["code"]] = m.GetHistogram().GetSampleCount()
		}
	}
	require.Equal(t, map[string]uint64{"event 400": 2, "eventBatch 202": 1}, counts)
}

// TestNew: what New refuses, and that metrics cannot be registered twice.
func TestNew(t *testing.T) {
	_, err := New(Options{})
	require.ErrorContains(t, err, "Sink is required")
	_, err = New(Options{Sink: &memSink{}, MaxBodyBytes: -1})
	require.ErrorContains(t, err, "negative")
	reg := prometheus.NewRegistry()
	_, err = New(Options{Sink: &memSink{}, Registerer: reg})
	require.NoError(t, err)
	_, err = New(Options{Sink: &memSink{}, Registerer: reg})
	require.ErrorContains(t, err, "register VES listener metrics")
	l, err := New(Options{Sink: &memSink{}})
	require.NoError(t, err, "no registerer, no logger, no clock: defaults")
	requireAccepted(t, post(l, PathEvent, readSample(t, "oransc-smo-ves-heartbeat.json")))
}

// TestAuthSeam: an Authenticator that refuses is answered 401 POL2000
// before the body is looked at.
func TestAuthSeam(t *testing.T) {
	sink := &memSink{}
	l, _ := newTestListener(t, sink, func(o *Options) {
		o.Auth = AuthenticatorFunc(func(r *http.Request) error {
			if _, _, ok := r.BasicAuth(); !ok {
				return errors.New("no credentials")
			}
			return nil
		})
	})
	fault := readSample(t, "onap-ves7-fault-critical.json")
	requireError(t, post(l, PathEvent, fault), http.StatusUnauthorized, policyException, POL2000)
	req := httptest.NewRequest(http.MethodPost, PathEvent, bytes.NewReader(fault))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("ves", "secret")
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, req)
	requireAccepted(t, rec)
	require.Len(t, sink.events(), 1)
}

// TestOverHTTP posts through a real server on 127.0.0.1 with the listener
// registered on a mux, as the watcher wires it; the batch is chunked.
func TestOverHTTP(t *testing.T) {
	sink := &memSink{}
	l, _ := newTestListener(t, sink)
	mux := http.NewServeMux()
	l.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		name   string
		path   string
		body   io.Reader
		status int
	}{
		{name: "single event with Content-Length", path: PathEvent, body: bytes.NewReader(readSample(t, "oransc-smo-ves-tca.json")), status: 202},
		{name: "batch with chunked transfer encoding", path: PathBatch, body: io.MultiReader(bytes.NewReader(readSample(t, "onap-ves7-batch-fault.json"))), status: 202},
		{name: "refusal carries the version headers over the wire", path: PathEvent, body: strings.NewReader(`{`), status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := srv.Client().Post(srv.URL+tc.path, "application/json", tc.body)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			requireVersionHeaders(t, resp.Header)
		})
	}
	require.Len(t, sink.events(), 3)
}

// TestErrorBodyStaysSmall: what the producer sent is quoted in variables, but
// clipped, so a refusal never echoes a large request back.
func TestErrorBodyStaysSmall(t *testing.T) {
	var members strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&members, `,"x%05d":1`, i)
	}
	fault := string(readSample(t, "onap-ves7-fault-critical.json"))
	cases := []struct {
		name        string
		body        string
		contentType string
		messageID   string
		status      int
	}{
		{name: "thousands of unexpected members", body: strings.Replace(fault, `"commonEventHeader": {`, `"commonEventHeader": {"y":1`+members.String()+`,`, 1),
			contentType: "application/json", messageID: SVC0002, status: 400},
		{name: "a huge Content-Type", body: fault, contentType: "text/" + strings.Repeat("é", 4000), messageID: SVC0002, status: 415},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newTestListener(t, &memSink{})
			req := httptest.NewRequest(http.MethodPost, PathEvent, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, req)
			exc := requireError(t, rec, tc.status, serviceException, tc.messageID)
			require.Less(t, rec.Body.Len(), 1024)
			for _, v := range exc.Variables {
				require.True(t, utf8.ValidString(v), "clipped at a rune boundary")
			}
		})
	}
}

// TestConcurrentRequests: one Listener serves many producers at once (run
// with -race); every accepted event is stored and counted exactly once.
func TestConcurrentRequests(t *testing.T) {
	sink := &memSink{}
	l, _ := newTestListener(t, sink)
	good := readSample(t, "onap-ves7-batch-fault.json")
	bad := readSample(t, "INVALID-onap-ves7-pnfreg-bad-ipv4.json")
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if rec := post(l, PathBatch, good); rec.Code != http.StatusAccepted {
					t.Errorf("good batch: %d %s", rec.Code, rec.Body.String())
				}
				if rec := post(l, PathEvent, bad); rec.Code != http.StatusBadRequest {
					t.Errorf("bad event: %d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, sink.events(), workers*rounds*2)
	require.Equal(t, float64(workers*rounds*2), testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "accepted")))
	require.Equal(t, float64(workers*rounds), testutil.ToFloat64(l.metrics.events.WithLabelValues("pnfRegistration", resultRejected)))
}
