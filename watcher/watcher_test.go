package watcher_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// watch starts bin/nephoran watch on a free loopback port with the given
// state directory and waits until /readyz answers.
func watch(t testing.TB, data string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var stderr bytes.Buffer
	if !slices.Contains(args, "--rules") {
		// The default ./rules is, from this package's directory, the rules
		// package with its test suites.
		args = append(args, "--rules", filepath.Join(t.TempDir(), "no-rules"))
	}
	cmd := exec.Command(testenv.Tool(t, "nephoran"), append([]string{"watch", "--listen", addr, "--data", data}, args...)...)
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "watch never became ready: %s", &stderr)
	return cmd, base
}

// faultWithID is the fixture fault with its eventId replaced.
func faultWithID(t *testing.T, id string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "onap-ves7-fault-critical.json"))
	require.NoError(t, err)
	return []byte(strings.Replace(string(b), `"eventId": "fault0000245"`, fmt.Sprintf("%q: %q", "eventId", id), 1))
}

// TestKill9LosesNoAcknowledgedEvent posts events from several clients, kills
// the watcher with SIGKILL right after an acknowledgement while others are in
// flight, restarts it on the same state directory, and finds every event that
// was answered 202 in the store.
func TestKill9LosesNoAcknowledgedEvent(t *testing.T) {
	data := t.TempDir()
	cmd, base := watch(t, data)

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	const clients, perClient, killAfter = 8, 200, 400
	killed := make(chan struct{})
	var once sync.Once
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				id := fmt.Sprintf("kill9-%d-%d", c, i)
				resp, err := http.Post(base+"/eventListener/v7", "application/json", bytes.NewReader(faultWithID(t, id)))
				if err != nil {
					return // the watcher is gone
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				n := len(acked)
				mu.Unlock()
				if n >= killAfter {
					once.Do(func() {
						require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
						close(killed)
					})
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d events were acknowledged before the clients finished", len(acked))
	}
	_ = cmd.Wait()

	_, base = watch(t, data)
	stored := map[string]bool{}
	cursor := ""
	for {
		resp, err := http.Get(base + "/api/v1/fcaps/events?limit=1000&cursor=" + cursor)
		require.NoError(t, err)
		var page struct {
			Items []struct {
				EventID string `json:"eventId"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
		resp.Body.Close()
		for _, it := range page.Items {
			stored[it.EventID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(acked), killAfter)
	for _, id := range acked {
		require.True(t, stored[id], "event %s was acknowledged with 202 but is not in the store after kill -9", id)
	}
}

// TestWatchServesHealthMetricsAndStopsOnSIGTERM checks the endpoints every
// deployment probes and a clean exit on SIGTERM.
func TestWatchServesHealthMetricsAndStopsOnSIGTERM(t *testing.T) {
	cmd, base := watch(t, filepath.Join(t.TempDir(), "state", "missing-yet"))

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Post(base+"/eventListener/v7", "application/json", bytes.NewReader(faultWithID(t, "metrics-1")))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)

	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	require.Contains(t, body.String(), `ves_events_total{domain="fault",result="accepted"} 1`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "watch must exit 0 on SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not stop after SIGTERM")
	}
}
