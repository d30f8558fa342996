package gitea

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/nephoran/nephoran/watcher/review"
)

// The webhook headers Gitea sends (services/webhook/deliver.go).
const (
	HeaderEvent     = "X-Gitea-Event"
	HeaderSignature = "X-Gitea-Signature"
	// EventPullRequest is X-Gitea-Event of a pull-request delivery.
	EventPullRequest = "pull_request"
)

// pullRequestPayload is the part of Gitea's PullRequestPayload
// (modules/structs/hook.go) the client reads.
type pullRequestPayload struct {
	Action      string       `json:"action"`
	Number      int64        `json:"number"`
	PullRequest *pullRequest `json:"pull_request"`
	Sender      *user        `json:"sender"`
}

// ParseWebhook verifies a delivery's X-Gitea-Signature (the hex
// HMAC-SHA256 of the JSON payload with secret, compared in constant time)
// and returns its pull-request event. A delivery posted as a form
// (payload=<json>) is verified over the payload, as Gitea signs it. A bad
// or missing signature, or an empty secret, is review.ErrSignature;
// another X-Gitea-Event, or the event of a pull request from a fork (its
// branch is no proposal, whatever its name), is review.ErrIgnored.
func (c *Client) ParseWebhook(header http.Header, body []byte, secret []byte) (review.Event, error) {
	return ParseWebhook(header, body, secret)
}

// ParseWebhook is Client.ParseWebhook without a client: it needs none.
func ParseWebhook(header http.Header, body []byte, secret []byte) (review.Event, error) {
	payload := body
	if ct, _, _ := mime.ParseMediaType(header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return review.Event{}, fmt.Errorf("gitea webhook: form body: %w", err)
		}
		payload = []byte(form.Get("payload"))
	}
	if err := verify(header.Get(HeaderSignature), payload, secret); err != nil {
		return review.Event{}, err
	}
	if ev := header.Get(HeaderEvent); ev != EventPullRequest {
		return review.Event{}, fmt.Errorf("gitea webhook event %q: %w", ev, review.ErrIgnored)
	}
	var p pullRequestPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return review.Event{}, fmt.Errorf("gitea webhook pull_request payload: %w", err)
	}
	if p.PullRequest == nil {
		return review.Event{}, errors.New("gitea webhook pull_request payload: no pull_request")
	}
	if !p.PullRequest.own() {
		return review.Event{}, fmt.Errorf("gitea webhook: pull request #%d is from a fork: %w", p.Number, review.ErrIgnored)
	}
	e := review.Event{Action: p.Action, PullRequest: p.PullRequest.convert()}
	if e.PullRequest.Number == 0 {
		e.PullRequest.Number = int(p.Number)
	}
	if p.Sender != nil {
		e.Sender = p.Sender.Login
		if e.Action == review.ActionClosed && !e.PullRequest.Merged && e.PullRequest.ClosedBy == "" {
			e.PullRequest.ClosedBy = p.Sender.Login
		}
	}
	return e, nil
}

// verify checks a hex HMAC-SHA256 signature of payload.
func verify(signature string, payload, secret []byte) error {
	return review.VerifySignature("gitea", HeaderSignature, strings.TrimSpace(signature), payload, secret)
}
