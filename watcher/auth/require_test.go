package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/auth"
	"github.com/nephoran/nephoran/watcher/ingest/ves"
	"github.com/nephoran/nephoran/watcher/model"
)

// The Authenticator is what ves.Options.Auth takes.
var _ ves.Authenticator = (*auth.Authenticator)(nil)

func TestRequire(t *testing.T) {
	basicAuth := newAuth(t, basicConfig(t))
	none := newAuth(t, auth.Config{})
	denyJSON := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"unauthorized"}`)
	}
	tests := []struct {
		name      string
		a         *auth.Authenticator
		deny      func(http.ResponseWriter, *http.Request)
		header    string
		status    int
		body      string
		challenge string
	}{
		{"good credentials reach the handler", basicAuth, denyJSON, basic("ran-sim", "s3cret-ran"), http.StatusOK, "events", ""},
		{"bad credentials are answered by deny, in its format", basicAuth, denyJSON, basic("ran-sim", "x"), http.StatusUnauthorized, `{"error":"unauthorized"}`, `Basic realm="nephoran", charset="UTF-8"`},
		{"missing credentials are answered by deny", basicAuth, denyJSON, "", http.StatusUnauthorized, `{"error":"unauthorized"}`, `Basic realm="nephoran", charset="UTF-8"`},
		{"nil deny answers a plain 401", basicAuth, nil, "", http.StatusUnauthorized, "bad credentials\n", `Basic realm="nephoran", charset="UTF-8"`},
		{"noAuth passes everything through", none, denyJSON, "", http.StatusOK, "events", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.a.Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "events")
			}), tt.deny)
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/fcaps/events", nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, tt.body, string(body))
			require.Equal(t, tt.challenge, resp.Header.Get("WWW-Authenticate"))
		})
	}
}

// Through the real VES listener: a refusal is 401 POL2000 in the spec's
// shape, and an admitted request goes on to the listener's own checks.
func TestVESListenerAnswersPOL2000(t *testing.T) {
	a := newAuth(t, basicConfig(t))
	l, err := ves.New(ves.Options{
		Sink: ves.SinkFunc(func(context.Context, []model.Event) error { return nil }),
		Auth: a,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(l)
	defer srv.Close()

	post := func(authorization string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+ves.PathEvent, strings.NewReader("{not json"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	messageID := func(body map[string]any, kind string) any {
		re, _ := body["requestError"].(map[string]any)
		ex, _ := re[kind].(map[string]any)
		return ex["messageId"]
	}

	status, body := post(basic("ran-sim", "wrong"))
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, ves.POL2000, messageID(body, "policyException"))

	status, body = post(basic("ran-sim", "s3cret-ran"))
	require.Equal(t, http.StatusBadRequest, status, "past auth, the body is refused")
	require.Equal(t, ves.SVC0002, messageID(body, "serviceException"))
}
