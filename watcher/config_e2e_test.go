package watcher_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/auth"
	"github.com/nephoran/nephoran/watcher/ingest/ves"
)

// TestWatchConfigTurnsOnAuthWebhookAndLenientMode starts nephoran watch
// with a config file and checks each setting through the running binary.
func TestWatchConfigTurnsOnAuthWebhookAndLenientMode(t *testing.T) {
	dir := t.TempDir()
	hash, err := auth.HashPassword("collector-pw")
	require.NoError(t, err)
	secret := filepath.Join(dir, "webhook-secret")
	require.NoError(t, os.WriteFile(secret, []byte("hmac-secret\n"), 0o600))
	config := filepath.Join(dir, "watch.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`
ves: {lenient: true}
webhook: {secretFile: `+secret+`}
auth:
  mode: basicAuth
  users: [{username: collector, passwordHash: "`+hash+`"}]
`), 0o600))
	_, base := watch(t, filepath.Join(dir, "data"), "--config", config)

	post := func(path string, body []byte, user, pw string, header map[string]string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	event := faultWithID(t, "config-1")

	require.Equal(t, http.StatusUnauthorized, post(ves.PathEvent, event, "", "", nil).StatusCode, "no credentials")
	require.Equal(t, http.StatusUnauthorized, post(ves.PathEvent, event, "collector", "wrong", nil).StatusCode, "wrong password")
	require.Equal(t, http.StatusAccepted, post(ves.PathEvent, event, "collector", "collector-pw", nil).StatusCode)

	resp, err := http.Get(base + "/api/v1/fcaps/events")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the query API is behind the same auth")
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/fcaps/events", nil)
	req.SetBasicAuth("collector", "collector-pw")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	body := faultWithID(t, "webhook-1")
	ts, sig := ves.Sign([]byte("hmac-secret"), time.Now(), body)
	signed := map[string]string{ves.HeaderTimestamp: ts, ves.HeaderSignature: sig}
	require.Equal(t, http.StatusAccepted, post(ves.PathWebhook, body, "", "", signed).StatusCode, "the webhook's signature is its authentication")
	_, badSig := ves.Sign([]byte("another-secret"), time.Now(), body)
	require.Equal(t, http.StatusUnauthorized, post(ves.PathWebhook, body, "", "", map[string]string{ves.HeaderTimestamp: ts, ves.HeaderSignature: badSig}).StatusCode)

	// The plan's examples predate VES 7.2.1 (millisecond epochs, no
	// vesEventListenerVersion): lenient mode takes them.
	raw, err := os.ReadFile(filepath.Join("testdata", "fcaps.ves.examples.json"))
	require.NoError(t, err)
	var examples map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &examples))
	require.Equal(t, http.StatusAccepted, post(ves.PathEvent, examples["fault_example"], "collector", "collector-pw", nil).StatusCode)
}
