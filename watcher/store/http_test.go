package store

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

func TestQueryHandler(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	require.NoError(t, s.Append(ctx, []model.Event{
		testEvent("f1", "du-1", "fault", "CRITICAL", t0),
		testEvent("f2", "du-1", "fault", "MAJOR", t0.Add(time.Minute)),
		testEvent("t1", "du-2", "thresholdCrossingAlert", "WARNING", t0.Add(2*time.Minute)),
	}))
	h := s.QueryHandler()

	type response struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor *string           `json:"nextCursor"`
		Error      string            `json:"error"`
		Parameter  string            `json:"parameter"`
	}
	do := func(t *testing.T, method, query string) (int, http.Header, response) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, QueryPath+"?"+query, nil))
		var body response
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
		return rec.Code, rec.Header(), body
	}

	tests := []struct {
		name      string
		method    string
		query     url.Values
		status    int
		parameter string // of a 400
		ids       []string
	}{
		{name: "no parameters", query: url.Values{}, status: 200, ids: []string{"t1", "f2", "f1"}},
		{name: "source", query: url.Values{"source": {"du-1"}}, status: 200, ids: []string{"f2", "f1"}},
		{name: "domain and severity", query: url.Values{"domain": {"fault"}, "severity": {"CRITICAL"}}, status: 200, ids: []string{"f1"}},
		{name: "since and until", query: url.Values{"since": {"2026-03-01T12:01:00Z"}, "until": {"2026-03-01T13:01:30+01:00"}}, status: 200, ids: []string{"f2"}},
		{name: "fractional seconds", query: url.Values{"since": {"2026-03-01T12:00:59.999999Z"}}, status: 200, ids: []string{"t1", "f2"}},
		{name: "nothing matches", query: url.Values{"source": {"nope"}}, status: 200, ids: []string{}},
		{name: "since not RFC 3339", query: url.Values{"since": {"yesterday"}}, status: 400, parameter: "since"},
		{name: "since without zone", query: url.Values{"since": {"2026-03-01T12:00:00"}}, status: 400, parameter: "since"},
		{name: "until not RFC 3339", query: url.Values{"until": {"1700000000"}}, status: 400, parameter: "until"},
		{name: "until before since", query: url.Values{"since": {"2026-03-02T00:00:00Z"}, "until": {"2026-03-01T00:00:00Z"}}, status: 400, parameter: "until"},
		{name: "limit zero", query: url.Values{"limit": {"0"}}, status: 400, parameter: "limit"},
		{name: "limit negative", query: url.Values{"limit": {"-5"}}, status: 400, parameter: "limit"},
		{name: "limit not a number", query: url.Values{"limit": {"ten"}}, status: 400, parameter: "limit"},
		{name: "limit above 1000", query: url.Values{"limit": {"1001"}}, status: 400, parameter: "limit"},
		{name: "limit 1000", query: url.Values{"limit": {"1000"}}, status: 200, ids: []string{"t1", "f2", "f1"}},
		{name: "cursor not issued", query: url.Values{"cursor": {"garbage"}}, status: 400, parameter: "cursor"},
		{name: "POST is the webhook's, not ours", method: http.MethodPost, query: url.Values{}, status: 405},
		{name: "DELETE", method: http.MethodDelete, query: url.Values{}, status: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			status, header, body := do(t, method, tc.query.Encode())
			require.Equal(t, tc.status, status, body.Error)
			switch tc.status {
			case 200:
				require.NotNil(t, body.Items, "items is a list, also when empty")
				require.NotNil(t, body.NextCursor)
				require.Empty(t, *body.NextCursor)
				var ids []string
				for _, raw := range body.Items {
					var e model.Event
					require.NoError(t, json.Unmarshal(raw, &e))
					ids = append(ids, e.EventID)
				}
				if len(tc.ids) == 0 {
					require.Empty(t, ids)
				} else {
					require.Equal(t, tc.ids, ids)
				}
			case 400:
				require.Equal(t, tc.parameter, body.Parameter)
				require.Contains(t, body.Error, tc.parameter)
			case 405:
				require.Equal(t, "GET, HEAD", header.Get("Allow"))
			}
		})
	}

	t.Run("items carry the raw event and the normalized fields", func(t *testing.T) {
		_, _, body := do(t, http.MethodGet, "source=du-2")
		require.Len(t, body.Items, 1)
		var item map[string]any
		require.NoError(t, json.Unmarshal(body.Items[0], &item))
		require.Equal(t, "t1", item["eventId"])
		require.Equal(t, "WARNING", item["severity"])
		require.Equal(t, "2026-03-01T12:02:00Z", item["receivedAt"])
		event := item["event"].(map[string]any)
		header := event["commonEventHeader"].(map[string]any)
		require.Equal(t, "t1", header["eventId"])
		require.Equal(t, "WARNING", event["faultFields"].(map[string]any)["eventSeverity"])
	})

	t.Run("cursor walks the pages", func(t *testing.T) {
		var ids []string
		q := url.Values{"limit": {"2"}}
		for {
			status, _, body := do(t, http.MethodGet, q.Encode())
			require.Equal(t, 200, status)
			for _, raw := range body.Items {
				var e model.Event
				require.NoError(t, json.Unmarshal(raw, &e))
				ids = append(ids, e.EventID)
			}
			if *body.NextCursor == "" {
				break
			}
			q.Set("cursor", *body.NextCursor)
		}
		require.Equal(t, []string{"t1", "f2", "f1"}, ids)
	})
}

func TestDecisionsHandler(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	restart := testDecision("r1", "upf-2", "link-down", "", t0.Add(2*time.Minute))
	restart.Action = nephv1.ActionRestart
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{
		testDecision("d1", "upf-1", "prb-high", "", t0),
		testDecision("s1", "upf-1", "prb-high", model.CooldownActive, t0.Add(time.Minute)),
		restart,
	}))
	h := s.DecisionsHandler()

	type response struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor *string           `json:"nextCursor"`
		Error      string            `json:"error"`
		Parameter  string            `json:"parameter"`
	}
	do := func(t *testing.T, method, query string) (int, http.Header, response) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, DecisionsPath+"?"+query, nil))
		var body response
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
		return rec.Code, rec.Header(), body
	}
	ids := func(t *testing.T, items []json.RawMessage) []string {
		out := []string{}
		for _, raw := range items {
			var d model.Decision
			require.NoError(t, json.Unmarshal(raw, &d))
			out = append(out, d.ID)
		}
		return out
	}

	tests := []struct {
		name      string
		method    string
		query     url.Values
		status    int
		parameter string // of a 400
		ids       []string
	}{
		{name: "no parameters", query: url.Values{}, status: 200, ids: []string{"r1", "s1", "d1"}},
		{name: "cnf", query: url.Values{"cnf": {"upf-1"}}, status: 200, ids: []string{"s1", "d1"}},
		{name: "rule", query: url.Values{"rule": {"link-down"}}, status: 200, ids: []string{"r1"}},
		{name: "action", query: url.Values{"action": {"scale_out"}}, status: 200, ids: []string{"s1", "d1"}},
		{name: "decisions only", query: url.Values{"suppressed": {"none"}}, status: 200, ids: []string{"r1", "d1"}},
		{name: "one suppression reason", query: url.Values{"suppressed": {"CooldownActive"}}, status: 200, ids: []string{"s1"}},
		{name: "since and until", query: url.Values{"since": {"2026-03-01T12:01:00Z"}, "until": {"2026-03-01T13:02:00+01:00"}}, status: 200, ids: []string{"s1"}},
		{name: "nothing matches", query: url.Values{"cnf": {"nope"}}, status: 200, ids: []string{}},
		{name: "unknown action", query: url.Values{"action": {"scale_up"}}, status: 400, parameter: "action"},
		{name: "unknown suppression reason", query: url.Values{"suppressed": {"cooldown"}}, status: 400, parameter: "suppressed"},
		{name: "since not RFC 3339", query: url.Values{"since": {"yesterday"}}, status: 400, parameter: "since"},
		{name: "until before since", query: url.Values{"since": {"2026-03-02T00:00:00Z"}, "until": {"2026-03-01T00:00:00Z"}}, status: 400, parameter: "until"},
		{name: "limit zero", query: url.Values{"limit": {"0"}}, status: 400, parameter: "limit"},
		{name: "limit above 1000", query: url.Values{"limit": {"1001"}}, status: 400, parameter: "limit"},
		{name: "cursor not issued", query: url.Values{"cursor": {"garbage"}}, status: 400, parameter: "cursor"},
		{name: "POST", method: http.MethodPost, query: url.Values{}, status: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			status, header, body := do(t, method, tc.query.Encode())
			require.Equal(t, tc.status, status, body.Error)
			switch tc.status {
			case 200:
				require.NotNil(t, body.Items, "items is a list, also when empty")
				require.NotNil(t, body.NextCursor)
				require.Empty(t, *body.NextCursor)
				require.Equal(t, tc.ids, ids(t, body.Items))
			case 400:
				require.Equal(t, tc.parameter, body.Parameter)
				require.Contains(t, body.Error, tc.parameter)
			case 405:
				require.Equal(t, "GET, HEAD", header.Get("Allow"))
			}
		})
	}

	t.Run("items are model.Decision JSON", func(t *testing.T) {
		_, _, body := do(t, http.MethodGet, "cnf=upf-1")
		require.Len(t, body.Items, 2)
		var suppression, decision map[string]any
		require.NoError(t, json.Unmarshal(body.Items[0], &suppression))
		require.NoError(t, json.Unmarshal(body.Items[1], &decision))
		require.Equal(t, "CooldownActive", suppression["suppressed"])
		require.Equal(t, "2026-03-01T12:01:00Z", suppression["at"])
		require.NotContains(t, suppression, "intent")
		require.NotContains(t, decision, "suppressed", "omitted for a decision")
		for _, key := range []string{"at", "cnf", "action", "rule", "id", "reason", "correlationId", "approval", "intent"} {
			require.Contains(t, decision, key)
		}
		require.Equal(t, "upf-1", decision["intent"].(map[string]any)["spec"].(map[string]any)["target"])
	})

	t.Run("cursor walks the pages", func(t *testing.T) {
		var got []string
		q := url.Values{"limit": {"1"}}
		for {
			status, _, body := do(t, http.MethodGet, q.Encode())
			require.Equal(t, 200, status)
			got = append(got, ids(t, body.Items)...)
			if *body.NextCursor == "" {
				break
			}
			q.Set("cursor", *body.NextCursor)
		}
		require.Equal(t, []string{"r1", "s1", "d1"}, got)
	})

	t.Run("a closed store is 503", func(t *testing.T) {
		require.NoError(t, s.Close())
		status, _, _ := do(t, http.MethodGet, "")
		require.Equal(t, http.StatusServiceUnavailable, status)
	})
}
