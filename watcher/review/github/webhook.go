package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v74/github"

	"github.com/nephoran/nephoran/watcher/review"
)

// The webhook headers GitHub sends.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderSignature = "X-Hub-Signature-256"
	// EventPullRequest is X-GitHub-Event of a pull-request delivery.
	EventPullRequest = "pull_request"
)

// signaturePrefix starts X-Hub-Signature-256.
const signaturePrefix = "sha256="

// ParseWebhook verifies a delivery's X-Hub-Signature-256 (sha256= and
// the hex HMAC-SHA256 of the body with secret, compared in constant time)
// and returns its pull-request event. A delivery posted as a form
// (payload=<json>) is verified over the body, as GitHub signs it. A bad or
// missing signature, or an empty secret, is review.ErrSignature; another
// X-GitHub-Event, or the event of a pull request from a fork (its branch is
// no proposal, whatever its name), is review.ErrIgnored.
func (c *Client) ParseWebhook(header http.Header, body []byte, secret []byte) (review.Event, error) {
	return ParseWebhook(header, body, secret)
}

// ParseWebhook is Client.ParseWebhook without a client: it needs none.
func ParseWebhook(header http.Header, body []byte, secret []byte) (review.Event, error) {
	if err := verify(header.Get(HeaderSignature), body, secret); err != nil {
		return review.Event{}, err
	}
	if ev := header.Get(HeaderEvent); ev != EventPullRequest {
		return review.Event{}, fmt.Errorf("github webhook event %q: %w", ev, review.ErrIgnored)
	}
	payload := body
	if ct, _, _ := mime.ParseMediaType(header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return review.Event{}, fmt.Errorf("github webhook: form body: %w", err)
		}
		payload = []byte(form.Get("payload"))
	}
	var p gh.PullRequestEvent
	if err := json.Unmarshal(payload, &p); err != nil {
		return review.Event{}, fmt.Errorf("github webhook pull_request payload: %w", err)
	}
	if p.PullRequest == nil {
		return review.Event{}, errors.New("github webhook pull_request payload: no pull_request")
	}
	if head := p.PullRequest.GetHead().GetRepo(); head == nil ||
		!strings.EqualFold(head.GetFullName(), p.PullRequest.GetBase().GetRepo().GetFullName()) {
		return review.Event{}, fmt.Errorf("github webhook: pull request #%d is from a fork: %w", p.GetNumber(), review.ErrIgnored)
	}
	e := review.Event{Action: p.GetAction(), PullRequest: convert(p.PullRequest), Sender: p.GetSender().GetLogin()}
	if e.Action == "synchronize" {
		e.Action = review.ActionSynchronized
	}
	if e.PullRequest.Number == 0 {
		e.PullRequest.Number = p.GetNumber()
	}
	if e.Action == review.ActionClosed {
		if e.PullRequest.Merged {
			e.PullRequest.ClosedBy = e.PullRequest.MergedBy
		} else {
			e.PullRequest.ClosedBy = e.Sender
		}
	}
	return e, nil
}

// verify checks a sha256=<hex> HMAC-SHA256 signature of body.
func verify(signature string, body, secret []byte) error {
	if len(secret) == 0 {
		return review.VerifySignature("github", HeaderSignature, "", body, secret)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), signaturePrefix)
	if !ok {
		return fmt.Errorf("github webhook: no %s %s...: %w", HeaderSignature, signaturePrefix, review.ErrSignature)
	}
	return review.VerifySignature("github", HeaderSignature, hexSig, body, secret)
}
