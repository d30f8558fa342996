package kpm

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// pushBody is two cells of gnb-001 in the window [30 s, 60 s) and one
// measurement without value.
const pushBody = `[
 {"nodeId":"gnb-001","cellId":"c1","collectStartTime":"2025-01-01T00:00:30Z","granularityPeriodMs":1000,
  "measurements":[{"name":"RRU.PrbUsedDl","value":50},{"name":"RRU.PrbAvailDl","value":100},
                  {"name":"RRC.ConnMean","value":200},{"name":"DRB.RlcSduDelayDl","value":100}]},
 {"nodeId":"gnb-001","cellId":"c1","collectStartTime":"2025-01-01T00:00:31Z","granularityPeriodMs":1000,
  "measurements":[{"name":"RRU.PrbUsedDl","value":70},{"name":"RRU.PrbAvailDl","value":100},
                  {"name":"RRC.ConnMean","value":220},{"name":"DRB.RlcSduDelayDl","value":140}]},
 {"nodeId":"gnb-001","cellId":"c2","collectStartTime":"2025-01-01T00:00:34Z","granularityPeriodMs":1000,
  "measurements":[{"name":"RRU.PrbTotDl","value":90},{"name":"RRC.ConnMean","value":40},
                  {"name":"DRB.RlcSduDelayDl","noValue":true}]}
]`

// TestPushThenReadout goes through a real HTTP server on 127.0.0.1.
func TestPushThenReadout(t *testing.T) {
	in, clk, reg := newTestIngester(35 * time.Second)
	mux := http.NewServeMux()
	in.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/v1/kpm/reports", "application/json", strings.NewReader(pushBody))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", body)
	require.Empty(t, body)

	clk.at(36 * time.Second)
	resp, err = http.Get(srv.URL + "/api/v1/metrics/e2/kpm/gnb-001")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.JSONEq(t, `{
		"nodeId": "gnb-001",
		"timestamp": "2025-01-01T00:00:36Z",
		"window": {"start": "2025-01-01T00:00:30Z", "end": "2025-01-01T00:01:00Z", "closed": false},
		"metrics": {"kpm.prb_utilization": 0.75, "kpm.ue_count": 250, "kpm.p95_latency_ms": 14},
		"cells": {
			"c1": {"kpm.prb_utilization": 0.6, "kpm.ue_count": 210, "kpm.p95_latency_ms": 14},
			"c2": {"kpm.prb_utilization": 0.9, "kpm.ue_count": 40}
		},
		"lastUpdate": "2025-01-01T00:00:35Z",
		"stale": false
	}`, string(body))

	require.Equal(t, 3.0, testutil.ToFloat64(in.m.reports.WithLabelValues("accepted")))
	n, err := testutil.GatherAndCount(reg, "e2_kpm_request_duration_seconds")
	require.NoError(t, err)
	require.Equal(t, 2, n, "one series per (handler, code)")
}

func TestReadoutWhenStaleAndClosed(t *testing.T) {
	in, clk, _ := newTestIngester(35 * time.Second)
	mux := http.NewServeMux()
	in.Register(mux)
	require.Equal(t, http.StatusAccepted, serve(mux, http.MethodPost, "/api/v1/kpm/reports", pushBody).Code)

	clk.at(126 * time.Second) // the newest sample ended at 35 s: 91 s ago
	rec := serve(mux, http.MethodGet, "/api/v1/metrics/e2/kpm/gnb-001", "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{
		"nodeId": "gnb-001",
		"timestamp": "2025-01-01T00:02:06Z",
		"window": {"start": "2025-01-01T00:00:30Z", "end": "2025-01-01T00:01:00Z", "closed": true},
		"metrics": {"kpm.prb_utilization": 0.75, "kpm.ue_count": 250, "kpm.p95_latency_ms": 14},
		"cells": {
			"c1": {"kpm.prb_utilization": 0.6, "kpm.ue_count": 210, "kpm.p95_latency_ms": 14},
			"c2": {"kpm.prb_utilization": 0.9, "kpm.ue_count": 40}
		},
		"lastUpdate": "2025-01-01T00:00:35Z",
		"stale": true
	}`, rec.Body.String())
}

func serve(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHTTPAnswers(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		code                     int
		answer                   string // JSON; empty for no body
		allow                    string
	}{
		{"push accepted", http.MethodPost, "/api/v1/kpm/reports", validReport, http.StatusAccepted, "", ""},
		{"push refused names the field", http.MethodPost, "/api/v1/kpm/reports",
			"[" + validReport + "," + validReport + "," + strings.Replace(validReport, `"value":68`, `"value":-68`, 1) + "]",
			http.StatusBadRequest, `{"error":{"field":"[2].measurements[0].value","message":"must not be negative, got -68"}}`, ""},
		{"push refused as a whole: invalid JSON", http.MethodPost, "/api/v1/kpm/reports", `{"nodeId":`,
			http.StatusBadRequest, `{"error":{"field":"nodeId","message":"invalid JSON: unexpected end of body"}}`, ""},
		{"push over the body limit", http.MethodPost, "/api/v1/kpm/reports", "[" + strings.Repeat(validReport+",", 10) + validReport + "]",
			http.StatusRequestEntityTooLarge, `{"error":{"message":"body larger than 2048 bytes"}}`, ""},
		{"push by GET", http.MethodGet, "/api/v1/kpm/reports", "",
			http.StatusMethodNotAllowed, `{"error":{"message":"method GET not allowed: use POST"}}`, "POST"},
		{"push by PUT", http.MethodPut, "/api/v1/kpm/reports", validReport,
			http.StatusMethodNotAllowed, `{"error":{"message":"method PUT not allowed: use POST"}}`, "POST"},
		{"readout of an unknown node", http.MethodGet, "/api/v1/metrics/e2/kpm/gnb-404", "",
			http.StatusNotFound, `{"error":{"field":"nodeId","message":"no KPM data for node \"gnb-404\""}}`, ""},
		{"readout by POST", http.MethodPost, "/api/v1/metrics/e2/kpm/gnb-001", "",
			http.StatusMethodNotAllowed, `{"error":{"message":"method POST not allowed: use GET"}}`, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(time.Second)
			in := New(Options{Registerer: prometheus.NewRegistry(), Now: clk.Now, MaxBodyBytes: 2048})
			mux := http.NewServeMux()
			in.Register(mux)
			rec := serve(mux, tt.method, tt.path, tt.body)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			if tt.answer == "" {
				require.Empty(t, rec.Body.String())
			} else {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				require.JSONEq(t, tt.answer, rec.Body.String())
			}
			require.Equal(t, tt.allow, rec.Header().Get("Allow"))
		})
	}
}

func TestRejectedReportsAreCounted(t *testing.T) {
	in, _, _ := newTestIngester(time.Second)
	mux := http.NewServeMux()
	in.Register(mux)
	bad := strings.Replace(validReport, `"nodeId":"gnb-001",`, "", 1)
	serve(mux, http.MethodPost, "/api/v1/kpm/reports", "["+validReport+","+bad+","+validReport+"]") // 3 reports refused
	serve(mux, http.MethodPost, "/api/v1/kpm/reports", `{"nodeId":`)                                // not JSON: 1
	serve(mux, http.MethodPost, "/api/v1/kpm/reports", validReport)                                 // accepted
	require.Equal(t, 4.0, testutil.ToFloat64(in.m.reports.WithLabelValues("rejected")))
	require.Equal(t, 1.0, testutil.ToFloat64(in.m.reports.WithLabelValues("accepted")))
}
