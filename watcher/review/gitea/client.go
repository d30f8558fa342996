package gitea

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/review"
)

// Defaults of Config.
const (
	DefaultMaxResponseBytes = 8 << 20
	// DefaultPageSize is Gitea's default [api] MAX_RESPONSE_ITEMS.
	DefaultPageSize   = 50
	DefaultLabelColor = "#1d76db"
	defaultTimeout    = 30 * time.Second
	// maxMessageBytes bounds the message read from an error answer.
	maxMessageBytes = 4 << 10
	// maxPages bounds a list, against a server that never ends one.
	maxPages = 10000
)

// Config says which repository of which Gitea to talk to, and how.
type Config struct {
	// BaseURL is the server's root URL (https://gitea.example.com, or
	// with the sub-path Gitea is served under), without credentials.
	BaseURL string
	// Owner and Repo name the deployment repository.
	Owner, Repo string
	// Token is an access token with write access to the repository's
	// issues and pull requests (the caller reads it from a file).
	Token string
	// HTTPClient sends the requests (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response body (DefaultMaxResponseBytes
	// when zero).
	MaxResponseBytes int64
	// PageSize is the limit of a list request (DefaultPageSize when zero;
	// Gitea caps it at its MAX_RESPONSE_ITEMS).
	PageSize int
	// LabelColor is the color of the labels OpenPullRequest creates
	// (DefaultLabelColor when empty).
	LabelColor string
}

// Client is a review.Forge for one Gitea repository. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
}

var _ review.Forge = (*Client)(nil)

// New checks cfg and returns its client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	switch {
	case err != nil:
		return nil, fmt.Errorf("gitea base URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, fmt.Errorf("gitea base URL %q: want http(s)://host[/path]", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("gitea base URL %s: credentials belong in the token, not the URL", u.Redacted())
	case cfg.Owner == "" || cfg.Repo == "":
		return nil, errors.New("gitea: owner and repo are required")
	case cfg.Token == "":
		return nil, errors.New("gitea: a token is required")
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.LabelColor == "" {
		cfg.LabelColor = DefaultLabelColor
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	u.RawQuery, u.Fragment = "", ""
	return &Client{cfg: cfg, base: u, http: hc}, nil
}

// repoPath is /repos/{owner}/{repo} and the escaped elements after it.
func (c *Client) repoPath(elems ...string) string {
	var b strings.Builder
	b.WriteString("/repos/")
	b.WriteString(url.PathEscape(c.cfg.Owner))
	b.WriteString("/")
	b.WriteString(url.PathEscape(c.cfg.Repo))
	for _, e := range elems {
		b.WriteString("/")
		b.WriteString(url.PathEscape(e))
	}
	return b.String()
}

// do sends one API request: in (when not nil) as the JSON body, out (when
// not nil) decoded from a successful answer. It returns the answer's
// header. A failure is a *review.APIError wrapped with the method and path.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (http.Header, error) {
	u := strings.TrimRight(c.base.String(), "/") + "/api/v1" + path
	if q := query.Encode(); q != "" {
		u += "?" + q
	}
	what := method + " " + path
	var body io.Reader
	if in != nil {
		js, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("gitea %s: %w", what, err)
		}
		body = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("gitea %s: %w", what, err)
	}
	req.Header.Set("Authorization", "token "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gitea %s: %w", what, &review.APIError{Err: err})
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, fmt.Errorf("gitea %s: %w", what, apiError(resp))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.cfg.MaxResponseBytes))
		return resp.Header, nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return resp.Header, fmt.Errorf("gitea %s: %w", what, &review.APIError{Err: err})
	}
	if int64(len(raw)) > c.cfg.MaxResponseBytes {
		return resp.Header, fmt.Errorf("gitea %s: the answer is over %d bytes", what, c.cfg.MaxResponseBytes)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.Header, fmt.Errorf("gitea %s: decode the answer: %w", what, err)
	}
	return resp.Header, nil
}

// apiError is an answer that is not a success: Gitea's {"message": ...}
// when it sent one, else the start of the body.
func apiError(resp *http.Response) *review.APIError {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxMessageBytes))
	var m struct {
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(raw, &m) == nil {
		msg = m.Message
	} else {
		msg = strings.Join(strings.Fields(string(raw)), " ")
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &review.APIError{Status: resp.StatusCode, Message: msg}
}

// counted says a list's X-Total-Count is the total of the list. It is for
// pull requests and labels; the timeline's is the length of the page.
type counted bool

// list visits every item of a paginated list, page 1, 2, ... until a page
// is empty, the total Gitea announced (X-Total-Count, when counted) is
// reached, or visit returns false.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, total counted, visit func(T) bool) error {
	seen := 0
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("gitea GET %s: more than %d pages", path, maxPages)
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("limit", strconv.Itoa(c.cfg.PageSize))
		var items []T
		header, err := c.do(ctx, http.MethodGet, path, q, nil, &items)
		if err != nil {
			return err
		}
		for _, it := range items {
			if !visit(it) {
				return nil
			}
		}
		seen += len(items)
		n, err := strconv.Atoi(header.Get("X-Total-Count"))
		if len(items) == 0 || total && err == nil && seen >= n {
			return nil
		}
	}
}
