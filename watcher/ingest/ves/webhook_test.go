package ves

import (
	"bytes"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

var testSecret = []byte("s3cr3t-webhook-key-0123456789")

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// signedRequest is a webhook POST of body signed with secret at ts.
func signedRequest(secret []byte, ts time.Time, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, PathWebhook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	tsh, sig := Sign(secret, ts, body)
	req.Header.Set(HeaderTimestamp, tsh)
	req.Header.Set(HeaderSignature, sig)
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSignMatchesOpenSSL: Sign is HMAC-SHA256 over timestamp "." body, as
// openssl computes it for a producer's shell script.
func TestSignMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	body := readSample(t, "onap-ves7-fault-critical.json")
	ts := time.Unix(1731000000, 0)
	tsh, sig := Sign(testSecret, ts, body)
	require.Equal(t, "1731000000", tsh)
	cmd := exec.Command(openssl, "dgst", "-sha256", "-hmac", string(testSecret), "-r")
	cmd.Stdin = bytes.NewReader(append([]byte(tsh+"."), body...))
	out, err := cmd.Output()
	require.NoError(t, err)
	require.Equal(t, "sha256="+strings.Fields(string(out))[0], sig)
	require.Regexp(t, `^sha256=[0-9a-f]{64}$`, sig)
}

// TestWebhook: the signature decides, then the body is a VES body.
func TestWebhook(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	batch := readSample(t, "onap-ves7-batch-fault.json")
	edge := readSample(t, "EDGE-spec-ves721-fault-sample.json")
	tsh, sig := Sign(testSecret, fixedNow, fault)
	cases := []struct {
		name    string
		lenient bool
		req     func() *http.Request
		status  int
		kind    exceptionKind
		id      string
		field   string
		stored  int
		result  model.Result
	}{
		{name: "good signature is accepted and stored", status: 202, stored: 1, result: model.Accepted,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow, fault) }},
		{name: "a batch body is accepted on the same path", status: 202, stored: 2, result: model.Accepted,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow, batch) }},
		{name: "4m59s of skew is within the window", status: 202, stored: 1, result: model.Accepted,
			req: func() *http.Request {
				return signedRequest(testSecret, fixedNow.Add(-4*time.Minute-59*time.Second), fault)
			}},
		{name: "exactly 5 minutes ahead is still within the window", status: 202, stored: 1, result: model.Accepted,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow.Add(5*time.Minute), fault) }},
		{name: "6 minutes old is out of the window", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow.Add(-6*time.Minute), fault) }},
		{name: "6 minutes ahead is out of the window", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow.Add(6*time.Minute), fault) }},
		{name: "signed with another secret", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request { return signedRequest([]byte("not-the-secret"), fixedNow, fault) }},
		{name: "body changed after signing", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				changed := bytes.Replace(fault, []byte("CRITICAL"), []byte("MINOR"), 1)
				r.Body, r.ContentLength = httptestBody(changed), int64(len(changed))
				return r
			}},
		{name: "timestamp changed after signing", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderTimestamp, strconv.FormatInt(fixedNow.Unix()+1, 10))
				return r
			}},
		{name: "one flipped hex digit", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				s := []byte(sig)
				s[len(s)-1] ^= 1
				r.Header.Set(HeaderSignature, string(s))
				return r
			}},
		{name: "upper-case hex is the same signature", status: 202, stored: 1, result: model.Accepted,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderSignature, "sha256="+strings.ToUpper(strings.TrimPrefix(sig, "sha256=")))
				return r
			}},
		{name: "missing timestamp", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Del(HeaderTimestamp)
				return r
			}},
		{name: "missing signature", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Del(HeaderSignature)
				return r
			}},
		{name: "timestamp in milliseconds is not unix seconds", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderTimestamp, strconv.FormatInt(fixedNow.UnixMilli(), 10))
				return r
			}},
		{name: "timestamp with a sign", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderTimestamp, "+"+tsh)
				return r
			}},
		{name: "signature without the sha256= prefix", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderSignature, strings.TrimPrefix(sig, "sha256="))
				return r
			}},
		{name: "signature that is not hex", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set(HeaderSignature, "sha256="+strings.Repeat("zz", 32))
				return r
			}},
		{name: "two signature headers", status: 401, kind: policyException, id: POL2000,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Add(HeaderSignature, sig)
				return r
			}},
		{name: "a correctly signed body that is not JSON is SVC0002", status: 400, kind: serviceException, id: SVC0002,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow, []byte(`{"event":`)) }},
		{name: "a correctly signed body with neither event nor eventList", status: 400, kind: serviceException, id: SVC0002, field: "/event",
			req: func() *http.Request { return signedRequest(testSecret, fixedNow, []byte(`{}`)) }},
		{name: "a correctly signed body with both event and eventList", status: 400, kind: serviceException, id: SVC0002, field: "/eventList",
			req: func() *http.Request {
				return signedRequest(testSecret, fixedNow, []byte(`{"event":{},"eventList":[]}`))
			}},
		{name: "a correctly signed text/plain body is 415", status: 415, kind: serviceException, id: SVC0002,
			req: func() *http.Request {
				r := signedRequest(testSecret, fixedNow, fault)
				r.Header.Set("Content-Type", "text/plain")
				return r
			}},
		{name: "strict mode applies to webhook bodies", status: 400, kind: serviceException, id: SVC0002,
			field: "/event/faultFields/faultFieldsVersion",
			req:   func() *http.Request { return signedRequest(testSecret, fixedNow, edge) }},
		{name: "lenient mode applies to webhook bodies", lenient: true, status: 202, stored: 1, result: model.Lenient,
			req: func() *http.Request { return signedRequest(testSecret, fixedNow, edge) }},
		{name: "a body over the limit is POL9003", status: 400, kind: policyException, id: POL9003,
			req: func() *http.Request {
				return signedRequest(testSecret, fixedNow, append(append([]byte{}, fault...), bytes.Repeat([]byte(" "), DefaultMaxBodyBytes)...))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			l, _ := newTestListener(t, sink, func(o *Options) {
				o.WebhookSecret = testSecret
				o.Lenient = tc.lenient
			})
			rec := serve(l, tc.req())
			if tc.status == http.StatusAccepted {
				requireAccepted(t, rec)
			} else {
				exc := requireError(t, rec, tc.status, tc.kind, tc.id)
				if tc.field != "" {
					require.Contains(t, exc.Variables, tc.field)
				}
				if tc.status == http.StatusUnauthorized {
					require.Equal(t, "Unauthorized user", exc.Text, "every auth failure has the same body")
					require.Empty(t, exc.Variables)
				}
			}
			got := sink.events()
			require.Len(t, got, tc.stored)
			for _, ev := range got {
				require.Equal(t, tc.result, ev.Result)
				require.Equal(t, fixedNow, ev.ReceivedAt)
			}
		})
	}
}

func httptestBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestWebhookReplay: a signature is good once within the window; the cache
// forgets it once the window has passed; a 503 lets the producer retry.
func TestWebhookReplay(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	clk := &clock{t: fixedNow}
	sink := &memSink{}
	l, _ := newTestListener(t, sink, func(o *Options) {
		o.WebhookSecret = testSecret
		o.Now = clk.now
	})
	requireAccepted(t, serve(l, signedRequest(testSecret, fixedNow, fault)))
	requireError(t, serve(l, signedRequest(testSecret, fixedNow, fault)), http.StatusUnauthorized, policyException, POL2000)
	clk.set(fixedNow.Add(4 * time.Minute))
	requireError(t, serve(l, signedRequest(testSecret, fixedNow, fault)), http.StatusUnauthorized, policyException, POL2000)
	require.Len(t, sink.events(), 1, "the replays were not stored")

	// A new second is a new signature.
	requireAccepted(t, serve(l, signedRequest(testSecret, fixedNow.Add(time.Second), fault)))
	require.Equal(t, 2, l.webhook.replay.len())

	// Past the window the old signatures are pruned; the skew check
	// refuses them from then on.
	clk.set(fixedNow.Add(WebhookMaxSkew + 2*time.Second))
	requireAccepted(t, serve(l, signedRequest(testSecret, clk.now(), fault)))
	require.Equal(t, 1, l.webhook.replay.len(), "expired signatures are pruned")
	requireError(t, serve(l, signedRequest(testSecret, fixedNow, fault)), http.StatusUnauthorized, policyException, POL2000)

	// A Sink failure stored nothing: the same request may be sent again.
	sink.err = errors.New("disk full")
	req := func() *http.Request { return signedRequest(testSecret, clk.now().Add(time.Second), fault) }
	requireError(t, serve(l, req()), http.StatusServiceUnavailable, serviceException, SVC2000)
	sink.mu.Lock()
	sink.err = nil
	sink.mu.Unlock()
	requireAccepted(t, serve(l, req()))
	requireError(t, serve(l, req()), http.StatusUnauthorized, policyException, POL2000)
}

// TestReplayCacheIsBounded: a full cache refuses rather than forgets a
// signature that is still valid, and makes room as signatures expire.
func TestReplayCacheIsBounded(t *testing.T) {
	c := &replayCache{seen: map[[32]byte]struct{}{}, max: 3}
	sig := func(b byte) [32]byte { return [32]byte{b} }
	for i := range 3 {
		require.Equal(t, replayNew, c.add(sig(byte(i)), fixedNow.Add(time.Duration(i)*time.Second), fixedNow))
	}
	require.Equal(t, replayUsed, c.add(sig(1), fixedNow.Add(time.Minute), fixedNow))
	require.Equal(t, replayFull, c.add(sig(9), fixedNow.Add(time.Minute), fixedNow))
	require.Equal(t, replayNew, c.add(sig(9), fixedNow.Add(time.Minute), fixedNow.Add(1500*time.Millisecond)),
		"the two signatures that expired before now were dropped")
	require.Equal(t, 2, c.len())
}

// TestWebhookDisabled: without a secret the path is not served at all.
func TestWebhookDisabled(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	for _, secret := range [][]byte{nil, {}} {
		sink := &memSink{}
		l, _ := newTestListener(t, sink, func(o *Options) { o.WebhookSecret = secret })
		rec := serve(l, signedRequest(secret, fixedNow, fault))
		require.Equal(t, http.StatusNotFound, rec.Code)
		mux := http.NewServeMux()
		l.Register(mux)
		rec = serve(mux, signedRequest(secret, fixedNow, fault))
		require.Equal(t, http.StatusNotFound, rec.Code, "not registered")
		require.Empty(t, sink.events())
	}
}

// TestWebhookSharesThePathWithTheQueryAPI: the webhook registers only POST,
// so GET on the same path of the same mux reaches the query API, in either
// registration order; the VES paths keep their own 405.
func TestWebhookSharesThePathWithTheQueryAPI(t *testing.T) {
	fault := readSample(t, "onap-ves7-fault-critical.json")
	query := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"items":[]}`))
	})
	for _, queryFirst := range []bool{true, false} {
		sink := &memSink{}
		l, _ := newTestListener(t, sink, func(o *Options) { o.WebhookSecret = testSecret })
		mux := http.NewServeMux()
		if queryFirst {
			mux.Handle("GET "+PathWebhook, query)
			l.Register(mux)
		} else {
			l.Register(mux)
			mux.Handle("GET "+PathWebhook, query)
		}
		rec := serve(mux, httptest.NewRequest(http.MethodGet, PathWebhook+"?limit=1", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, `{"items":[]}`, rec.Body.String())

		requireAccepted(t, serve(mux, signedRequest(testSecret, fixedNow, fault)))
		require.Len(t, sink.events(), 1)

		rec = serve(mux, httptest.NewRequest(http.MethodPut, PathWebhook, nil))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		require.ElementsMatch(t, []string{"GET", "HEAD", "POST"}, strings.Split(strings.ReplaceAll(rec.Header().Get("Allow"), " ", ""), ","))

		rec = serve(mux, httptest.NewRequest(http.MethodGet, PathEvent, nil))
		requireError(t, rec, http.StatusMethodNotAllowed, serviceException, SVC0001)
		require.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
		requireAccepted(t, post(mux, PathBatch, readSample(t, "onap-ves7-batch-fault.json")))
	}
}

// TestWebhookSecretNeverLeaks: whatever the request, the secret (raw or
// hex) appears in no log line, no response and no metric.
func TestWebhookSecretNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fault := readSample(t, "onap-ves7-fault-critical.json")
	sink := &memSink{}
	l, reg := newTestListener(t, sink, func(o *Options) {
		o.WebhookSecret = testSecret
		o.Logger = logger
	})
	var bodies bytes.Buffer
	for _, req := range []*http.Request{
		signedRequest(testSecret, fixedNow, fault),
		signedRequest(testSecret, fixedNow, fault), // replay
		signedRequest(testSecret, fixedNow.Add(-time.Hour), fault),
		signedRequest([]byte("wrong"), fixedNow, fault),
		signedRequest(testSecret, fixedNow, []byte(`{"event":{}}`)),
		httptest.NewRequest(http.MethodPost, PathWebhook, bytes.NewReader(fault)),
	} {
		rec := serve(l, req)
		bodies.Write(rec.Body.Bytes())
		for k, v := range rec.Header() {
			bodies.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
	}
	sink.err = errors.New("disk full")
	bodies.Write(serve(l, signedRequest(testSecret, fixedNow.Add(time.Second), fault)).Body.Bytes())

	var metrics bytes.Buffer
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		metrics.WriteString(f.String())
	}
	require.Contains(t, logs.String(), "webhook request not authenticated", "the refusals were logged")
	require.Contains(t, logs.String(), "disk full", "the Sink failure was logged")
	for name, out := range map[string]string{"logs": logs.String(), "responses": bodies.String(), "metrics": metrics.String()} {
		for _, secret := range []string{string(testSecret), hex.EncodeToString(testSecret)} {
			require.NotContains(t, out, secret, "the secret is in the %s", name)
		}
	}
	require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "accepted")))
	require.Equal(t, 5.0, testutil.ToFloat64(l.metrics.events.WithLabelValues(invalidDomain, resultRejected)), "four auth failures and an event without a domain")
}

// TestWebhookMetrics: webhook requests are timed under endpoint="webhook".
func TestWebhookMetrics(t *testing.T) {
	l, reg := newTestListener(t, &memSink{}, func(o *Options) { o.WebhookSecret = testSecret })
	fault := readSample(t, "onap-ves7-fault-critical.json")
	requireAccepted(t, serve(l, signedRequest(testSecret, fixedNow, fault)))
	requireError(t, serve(l, signedRequest(testSecret, fixedNow, fault)), http.StatusUnauthorized, policyException, POL2000)
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
	require.Equal(t, map[string]uint64{"webhook 202": 1, "webhook 401": 1}, counts)
}

// TestREADMEWebhookExample runs the README's curl + openssl block against
// a real server on 127.0.0.1, with the real clock.
func TestREADMEWebhookExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl", "date", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```sh\n(TS=\\$\\(date.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "the README has the signing block")

	sink := &memSink{}
	l, err := New(Options{Sink: sink, Registerer: prometheus.NewRegistry(), WebhookSecret: testSecret})
	require.NoError(t, err)
	mux := http.NewServeMux()
	l.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := readSample(t, "onap-ves7-fault-critical.json")
	bodyFile := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(bodyFile, body, 0o600))
	for _, tc := range []struct {
		name   string
		secret []byte
		want   string
		stored int
	}{
		{name: "the right secret is accepted", secret: testSecret, want: "HTTP/1.1 202 Accepted", stored: 1},
		{name: "another secret is refused", secret: []byte("wrong"), want: "HTTP/1.1 401 Unauthorized", stored: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(block[1]))
			cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+string(tc.secret), "URL="+srv.URL+PathWebhook, "BODY="+bodyFile)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), tc.want)
			require.Len(t, sink.events(), tc.stored)
		})
	}
	require.Equal(t, []byte(sampleEvents(t, body)[0]), []byte(sink.events()[0].Raw), "the file's bytes arrived unchanged")
}
