package ric

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxResponse bounds what a RIC service may send back.
const maxResponse = 4 << 20

// StatusError is an HTTP answer other than the one the API description
// promises for success. Retryable tells the retry loop whether to try again.
type StatusError struct {
	Method     string
	URL        string // credentials masked
	StatusCode int
	Body       string // the first 256 bytes of the body
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.URL, e.StatusCode)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the same request may succeed later: server
// errors (5xx) and 429 are, client errors (4xx) are not.
func (e *StatusError) Retryable() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// errDecode marks an answer with the right status and an unreadable body:
// asking again will not help.
var errDecode = errors.New("decode response")

// retryable classifies an error from a call: transport errors (refused,
// reset, EOF) and retryable statuses are worth another attempt; a cancelled
// context, a client error and an undecodable answer are not.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errDecode) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Retryable()
	}
	return true
}

// endpoint is a parsed base URL and the HTTP client that calls it.
type endpoint struct {
	base *url.URL
	hc   *http.Client
}

func newEndpoint(baseURL string, hc *http.Client) (endpoint, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return endpoint{}, fmt.Errorf("parse base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return endpoint{}, fmt.Errorf("base URL %q: want http(s)://host[:port]/path", u.Redacted())
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return endpoint{base: u, hc: hc}, nil
}

// do sends body (JSON-encoded when not nil) to base/path... and decodes a
// response with status want into out (when not nil).
func (e endpoint) do(ctx context.Context, method string, path []string, body, out any, want int) error {
	u := e.base.JoinPath(path...)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, u.Redacted(), err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		// *url.Error already names the method and the (redacted) URL.
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode != want {
		snippet := strings.TrimSpace(string(data))
		if len(snippet) > 256 {
			snippet = snippet[:256]
		}
		return &StatusError{Method: method, URL: u.Redacted(), StatusCode: resp.StatusCode, Body: snippet}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w: %w", method, u.Redacted(), errDecode, err)
	}
	return nil
}
