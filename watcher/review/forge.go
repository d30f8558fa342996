package review

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Forge is the pull-request API of the forge hosting the deployment
// repository. Head branches are branch names of the repository itself
// (proposal branches are pushed to the deployment repository, not a fork).
type Forge interface {
	// FindPullRequest returns the newest pull request whose head branch is
	// head (open, closed or merged), ErrNotFound when there is none.
	FindPullRequest(ctx context.Context, head string) (PullRequest, error)
	// OpenPullRequest opens a pull request, creating missing labels on the
	// repository first. When the forge opened it but a later step failed,
	// it returns the opened pull request with the error.
	OpenPullRequest(ctx context.Context, pr NewPullRequest) (PullRequest, error)
	// ListPullRequests lists the pull requests (open and closed) whose head
	// branch starts with headPrefix, newest first (all pages).
	ListPullRequests(ctx context.Context, headPrefix string) ([]PullRequest, error)
	// Merge merges pull request number if its head is still headSHA, with
	// message as the merge commit's message. A refusal by the forge (branch
	// protection, required reviews, not mergeable, head moved: 405, 409,
	// 422) is ErrRefused wrapped with the forge's message.
	Merge(ctx context.Context, number int, headSHA, message string) error
	// Close closes pull request number without merging, commenting first
	// when comment is not empty.
	Close(ctx context.Context, number int, comment string) error
	// ParseWebhook verifies a webhook delivery's signature with secret
	// (constant time) and returns its pull-request event. Deliveries of
	// other events, and events of pull requests from forks, are
	// ErrIgnored; a bad or missing signature, or an empty secret, is
	// ErrSignature. The signature is checked first, so an
	// unsigned delivery is ErrSignature whatever its event.
	ParseWebhook(header http.Header, body []byte, secret []byte) (Event, error)
}

// NewPullRequest is a pull request to open: from Head into Base.
type NewPullRequest struct {
	Head, Base  string
	Title, Body string
	// Labels are label names; missing ones are created.
	Labels []string
}

// PullRequest is a pull request as the forge reports it.
type PullRequest struct {
	Number int
	// URL is the pull request's web page.
	URL string
	// Head and Base are branch names; HeadSHA the head's commit.
	Head, Base, HeadSHA string
	Title, Body         string
	// Labels are the label names, sorted.
	Labels []string
	// Open is false once closed or merged; Merged says it was merged.
	Open   bool
	Merged bool
	// MergedAt and ClosedAt are zero until it is merged or closed (a
	// merged pull request is closed too, at the same time).
	MergedAt, ClosedAt time.Time
	// MergedBy and ClosedBy are user logins, set when the forge says (see
	// each backend for which calls fill them).
	MergedBy, ClosedBy string
}

// Event is a pull-request event of a webhook delivery.
type Event struct {
	// Action is what happened, in Gitea's words: ActionOpened,
	// ActionClosed (also for a merge: PullRequest.Merged is set),
	// ActionReopened, ActionEdited, ActionSynchronized, or another action
	// the forge names (label_updated, assigned, review_requested...).
	Action      string
	PullRequest PullRequest
	// Sender is the login of the user who caused the event.
	Sender string
}

// The actions of an Event the review stage acts on.
const (
	ActionOpened       = "opened"
	ActionClosed       = "closed"
	ActionReopened     = "reopened"
	ActionEdited       = "edited"
	ActionSynchronized = "synchronized"
)

// Errors the caller branches on.
var (
	// ErrNotFound says there is no such pull request.
	ErrNotFound = errors.New("no such pull request")
	// ErrRefused says the forge refused the change (Merge).
	ErrRefused = errors.New("refused by the forge")
	// ErrIgnored says a webhook delivery is not a pull-request event.
	ErrIgnored = errors.New("not a pull-request event")
	// ErrSignature says a webhook delivery's signature is missing or wrong.
	ErrSignature = errors.New("webhook signature missing or invalid")
)

// APIError is a request to the forge that did not succeed: an answer with
// a status that is not a success, or no answer (Status 0, Err the
// transport error).
type APIError struct {
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Message is the forge's message (or the status text).
	Message string
	// RateLimited says the forge refused the request for its rate limit
	// (GitHub answers 403 or 429 then).
	RateLimited bool
	// Err is the cause underneath, when there is one.
	Err error
}

// Error says the status and the message.
func (e *APIError) Error() string {
	switch {
	case e.Status == 0 && e.Err != nil:
		return "no answer: " + e.Err.Error()
	case e.Status == 0:
		return "no answer: " + e.Message
	case e.Message == "":
		return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// Transient reports whether err is worth retrying as it is: the forge did
// not answer, answered 429 or 5xx, or refused for its rate limit. A
// cancelled context is not transient.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == 0 || ae.Status == http.StatusTooManyRequests || ae.Status >= 500 || ae.RateLimited
}

// Refusal wraps a forge's answer to a change in ErrRefused when its status
// is a refusal (405, 409, 422), and returns other errors unchanged. The
// backends' Merge uses it.
func Refusal(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusMethodNotAllowed, http.StatusConflict, http.StatusUnprocessableEntity:
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
	return err
}

// VerifySignature checks a webhook delivery's hex HMAC-SHA256 signature of
// payload with secret, in constant time (hmac.Equal). forge and header
// name the forge and its signature header in the error, which wraps
// ErrSignature when the secret or the signature is missing, the signature
// is not hex, or it does not match; it never holds the secret.
func VerifySignature(forge, header, hexSignature string, payload, secret []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%s webhook: no secret to verify with: %w", forge, ErrSignature)
	}
	if hexSignature == "" {
		return fmt.Errorf("%s webhook: no %s: %w", forge, header, ErrSignature)
	}
	got, err := hex.DecodeString(hexSignature)
	if err != nil {
		return fmt.Errorf("%s webhook: %s is not hex: %w", forge, header, ErrSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(payload)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%s webhook: %s does not match: %w", forge, header, ErrSignature)
	}
	return nil
}
