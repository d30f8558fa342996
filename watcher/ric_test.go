package watcher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher"
)

// TestE2MgrDisconnectedNodeMakesKPMStale wires a fake e2mgr through the
// config and checks that a node it reports DISCONNECTED reads as stale
// while fresh samples of a node it does not know do not.
func TestE2MgrDisconnectedNodeMakesKPMStale(t *testing.T) {
	e2mgr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/nodeb/states" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"inventoryName":"gnb-001","connectionStatus":"DISCONNECTED"}]`)
	}))
	defer e2mgr.Close()

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- watcher.Run(ctx, watcher.Options{
			Listen: "127.0.0.1:0", Data: t.TempDir(), Rules: t.TempDir(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Config: watcher.Config{RIC: watcher.RICConfig{E2Mgr: e2mgr.URL + "/v1", Interval: "50ms"}},
			Ready:  func(a net.Addr) { ready <- a },
		})
	}()
	defer func() { cancel(); require.NoError(t, <-done) }()
	base := "http://" + (<-ready).String()

	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	for _, node := range []string{"gnb-001", "gnb-002"} {
		body := `{"nodeId":"` + node + `","cellId":"c1","collectStartTime":"` + now + `","granularityPeriodMs":1000,
			"measurements":[{"name":"RRU.PrbUsedDl","value":50},{"name":"RRU.PrbAvailDl","value":100}]}`
		resp, err := http.Post(base+"/api/v1/kpm/reports", "application/json", bytes.NewReader([]byte(body)))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	stale := func(node string) bool {
		resp, err := http.Get(base + "/api/v1/metrics/e2/kpm/" + node)
		require.NoError(t, err)
		defer resp.Body.Close()
		var r struct{ Stale bool }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		return r.Stale
	}
	require.Eventually(t, func() bool { return stale("gnb-001") }, 10*time.Second, 20*time.Millisecond, "e2mgr says gnb-001 is DISCONNECTED")
	require.False(t, stale("gnb-002"), "a node e2mgr does not know is judged by the age of its samples")
}
