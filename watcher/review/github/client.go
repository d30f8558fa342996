package github

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v74/github"

	"github.com/nephoran/nephoran/watcher/review"
)

// Defaults of Config.
const (
	DefaultMaxResponseBytes = 8 << 20
	// DefaultPageSize is GitHub's largest per_page.
	DefaultPageSize = 100
	defaultTimeout  = 30 * time.Second
	// maxPages bounds a list, against a server that never ends one.
	maxPages = 10000
)

// Config says which repository of which GitHub to talk to, and how.
type Config struct {
	// BaseURL is the REST API's root of a GitHub Enterprise Server
	// (https://ghe.example.com/, to which go-github adds api/v3/); empty
	// for github.com.
	BaseURL string
	// Owner and Repo name the deployment repository.
	Owner, Repo string
	// Token is a token with write access to the repository's pull
	// requests and issues (the caller reads it from a file).
	Token string
	// HTTPClient sends the requests (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response body (DefaultMaxResponseBytes
	// when zero).
	MaxResponseBytes int64
	// PageSize is per_page of a list (DefaultPageSize when zero).
	PageSize int
}

// Client is a review.Forge for one GitHub repository. It is safe for
// concurrent use.
type Client struct {
	cfg Config
	gh  *gh.Client
}

var _ review.Forge = (*Client)(nil)

// New checks cfg and returns its client.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Owner == "" || cfg.Repo == "":
		return nil, errors.New("github: owner and repo are required")
	case cfg.Token == "":
		return nil, errors.New("github: a token is required")
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = limitTransport{next: next, max: cfg.MaxResponseBytes}
	c := gh.NewClient(hc).WithAuthToken(cfg.Token)
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		switch {
		case err != nil:
			return nil, fmt.Errorf("github base URL: %w", err)
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			return nil, fmt.Errorf("github base URL %q: want http(s)://host[/path]", u.Redacted())
		case u.User != nil:
			return nil, fmt.Errorf("github base URL %s: credentials belong in the token, not the URL", u.Redacted())
		}
		if c, err = c.WithEnterpriseURLs(cfg.BaseURL, cfg.BaseURL); err != nil {
			return nil, fmt.Errorf("github base URL %s: %w", u.Redacted(), err)
		}
	}
	return &Client{cfg: cfg, gh: c}, nil
}

// limitTransport bounds every response body.
type limitTransport struct {
	next http.RoundTripper
	max  int64
}

// RoundTrip sends req and wraps the answer's body in a limit.
func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// limitedBody fails a read past its limit.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

var errResponseTooLarge = errors.New("the answer is over the response size limit")

// apiError turns what go-github returned into the review stage's errors:
// an answer that is not a success is a *review.APIError with its status
// and GitHub's message (and the field errors of a 422), a rate limit is
// RateLimited, a request that got no answer is Status 0.
func apiError(what string, err error) error {
	if err == nil {
		return nil
	}
	var (
		rle   *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		er    *gh.ErrorResponse
		ae    *review.APIError
	)
	switch {
	case errors.As(err, &rle):
		ae = &review.APIError{Status: status(rle.Response), Message: rle.Message, RateLimited: true}
	case errors.As(err, &abuse):
		ae = &review.APIError{Status: status(abuse.Response), Message: abuse.Message, RateLimited: true}
	case errors.As(err, &er):
		ae = &review.APIError{Status: status(er.Response), Message: message(er)}
	case errors.Is(err, errResponseTooLarge):
		return fmt.Errorf("github %s: %w", what, errResponseTooLarge)
	default:
		ae = &review.APIError{Err: err}
	}
	if ae.Status == http.StatusTooManyRequests {
		ae.RateLimited = true
	}
	return fmt.Errorf("github %s: %w", what, ae)
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// message is GitHub's message with the details of its field errors.
func message(er *gh.ErrorResponse) string {
	msg := er.Message
	var details []string
	for _, e := range er.Errors {
		d := e.Message
		if d == "" {
			d = strings.TrimSpace(strings.Join([]string{e.Resource, e.Field, e.Code}, " "))
		}
		if d != "" {
			details = append(details, d)
		}
	}
	if len(details) > 0 {
		msg += ": " + strings.Join(details, "; ")
	}
	if msg == "" && er.Response != nil {
		msg = http.StatusText(er.Response.StatusCode)
	}
	return msg
}
