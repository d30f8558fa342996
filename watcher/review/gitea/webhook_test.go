package gitea_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/review"
	"github.com/nephoran/nephoran/watcher/review/gitea"
)

var secret = []byte("webhook-secret")

func sign(key, payload []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// delivery is the header Gitea sends with a JSON payload.
func delivery(event, signature string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Gitea-Delivery", "6a2e8f6c-0a4f-4bb7-9e56-1f2d3c4b5a69")
	h.Set("X-Gitea-Event", event)
	h.Set("X-Gitea-Event-Type", event)
	if signature != "" {
		h.Set("X-Gitea-Signature", signature)
	}
	return h
}

func TestParseWebhookReadsGiteaPullRequestPayloads(t *testing.T) {
	merged := time.Date(2026, 1, 1, 0, 9, 30, 0, time.UTC)
	head := "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67"
	base := review.PullRequest{
		Number: 4, URL: "http://127.0.0.1:3000/ops/deployments/pulls/4", Head: head, Base: "main",
		HeadSHA: "5b1c6d0e2f3a4b5c6d7e8f90a1b2c3d4e5f60718", Title: "PRB utilization 0.93 on gnb-001 is above 0.85",
		Body:   "<!-- nephoran:decision 3f2a9c0d1e4b5a67 -->\n\n## `scale_out` `upf-edge-1`: 2 → 3 replicas\n",
		Labels: []string{"nephoran/scale_out"}, ClosedAt: merged,
	}
	mergedPR := base
	mergedPR.Merged, mergedPR.MergedAt, mergedPR.MergedBy, mergedPR.ClosedBy = true, merged, "alice", "alice"
	rejectedPR := base
	rejectedPR.ClosedBy = "bob"
	syncPR := base
	syncPR.Open, syncPR.ClosedAt, syncPR.HeadSHA = true, time.Time{}, "9e8d7c6b5a493827160f1e2d3c4b5a6978879605"

	for _, tc := range []struct {
		name, file string
		want       review.Event
	}{
		{"a merge is closed with merged set and the merger", "pull_request_closed_merged.json",
			review.Event{Action: review.ActionClosed, PullRequest: mergedPR, Sender: "alice"}},
		{"a rejection is closed without merged, closed by the sender", "pull_request_closed_rejected.json",
			review.Event{Action: review.ActionClosed, PullRequest: rejectedPR, Sender: "bob"}},
		{"a push to the head is synchronized and open", "pull_request_synchronized.json",
			review.Event{Action: review.ActionSynchronized, PullRequest: syncPR, Sender: "nephoran-bot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := fixture(t, tc.file)
			ev, err := gitea.ParseWebhook(delivery("pull_request", sign(secret, body)), body, secret)
			require.NoError(t, err)
			require.Equal(t, tc.want, ev)
			require.Equal(t, "3f2a9c0d1e4b5a67", review.MarkedDecision(ev.PullRequest.Body))
		})
	}
}

func TestParseWebhookRefusesWhatGiteaDidNotSign(t *testing.T) {
	body := fixture(t, "pull_request_closed_merged.json")
	good := sign(secret, body)
	for _, tc := range []struct {
		name   string
		header http.Header
		body   []byte
		secret []byte
		want   error
	}{
		{"signed with another secret", delivery("pull_request", sign([]byte("other"), body)), body, secret, review.ErrSignature},
		{"no signature", delivery("pull_request", ""), body, secret, review.ErrSignature},
		{"a signature that is not hex", delivery("pull_request", "sha256="+good), body, secret, review.ErrSignature},
		{"a body changed after signing", delivery("pull_request", good), append([]byte(" "), body...), secret, review.ErrSignature},
		{"no secret configured accepts nothing", delivery("pull_request", sign(nil, body)), body, nil, review.ErrSignature},
		{"an unsigned delivery of another event is a signature error first", delivery("push", ""), body, secret, review.ErrSignature},
		{"another event", delivery("push", good), body, secret, review.ErrIgnored},
		{"a review verdict is another event", delivery("pull_request_approved", good), body, secret, review.ErrIgnored},
		{"an issue event", delivery("issues", good), body, secret, review.ErrIgnored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gitea.ParseWebhook(tc.header, tc.body, tc.secret)
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), string(secret))
		})
	}
}

func TestParseWebhookVerifiesAFormDeliveryOverItsPayload(t *testing.T) {
	payload := fixture(t, "pull_request_closed_merged.json")
	form := []byte(url.Values{"payload": {string(payload)}}.Encode())
	h := delivery("pull_request", sign(secret, payload))
	h.Set("Content-Type", "application/x-www-form-urlencoded")

	ev, err := gitea.ParseWebhook(h, form, secret)
	require.NoError(t, err)
	require.True(t, ev.PullRequest.Merged)

	h.Set("X-Gitea-Signature", sign(secret, form))
	_, err = gitea.ParseWebhook(h, form, secret)
	require.ErrorIs(t, err, review.ErrSignature, "Gitea signs the payload, not the form")
}

func TestParseWebhookRefusesASignedPayloadWithoutPullRequest(t *testing.T) {
	for _, body := range [][]byte{[]byte(`{"action":"opened","number":1}`), []byte(`not json`)} {
		_, err := gitea.ParseWebhook(delivery("pull_request", sign(secret, body)), body, secret)
		require.Error(t, err)
		require.NotErrorIs(t, err, review.ErrSignature)
		require.NotErrorIs(t, err, review.ErrIgnored)
	}
}

func TestParseWebhookIgnoresPullRequestsFromForks(t *testing.T) {
	var payload map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "pull_request_closed_rejected.json"), &payload))
	head := payload["pull_request"].(map[string]any)["head"].(map[string]any)
	head["repo_id"] = 9 // mallory/deployments
	body, err := json.Marshal(payload)
	require.NoError(t, err)
	_, err = gitea.ParseWebhook(delivery("pull_request", sign(secret, body)), body, secret)
	require.ErrorIs(t, err, review.ErrIgnored, "a fork's branch named like a proposal rejects nothing")
}
