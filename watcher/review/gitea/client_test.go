package gitea_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/review"
	"github.com/nephoran/nephoran/watcher/review/gitea"
)

const testToken = "0123456789abcdef0123456789abcdef01234567"

func TestNewRefusesIncompleteConfigs(t *testing.T) {
	ok := gitea.Config{BaseURL: "https://gitea.example.com/", Owner: "ops", Repo: "deployments", Token: testToken}
	_, err := gitea.New(ok)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		change func(*gitea.Config)
		want   string
	}{
		{"no scheme", func(c *gitea.Config) { c.BaseURL = "gitea.example.com" }, "want http(s)://host"},
		{"credentials in the URL", func(c *gitea.Config) { c.BaseURL = "https://ops:s3cret@gitea.example.com" }, "credentials belong in the token"},
		{"no owner", func(c *gitea.Config) { c.Owner = "" }, "owner and repo"},
		{"no token", func(c *gitea.Config) { c.Token = "" }, "token is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.change(&cfg)
			_, err := gitea.New(cfg)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

// answering is a client of a server that answers every request with
// status and body, and records the requests.
func answering(t *testing.T, status int, body string, cfg gitea.Config) (*gitea.Client, *[]*http.Request) {
	t.Helper()
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r)
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	cfg.BaseURL, cfg.Owner, cfg.Repo, cfg.Token = srv.URL, "ops", "deployments", testToken
	c, err := gitea.New(cfg)
	require.NoError(t, err)
	return c, &got
}

// TestErrorsSayWhatTheCallerBranchesOn pins the answers a real Gitea gives
// only under load or misconfiguration (a locked SQLite database, a gateway
// in front of it), which the end-to-end test cannot provoke.
func TestErrorsSayWhatTheCallerBranchesOn(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		call      func(*gitea.Client) error
		transient bool
		refused   bool
		message   string
	}{
		{"a locked database is transient", 500, `{"message":"database is locked","url":"http://127.0.0.1:3000/api/swagger"}`,
			func(c *gitea.Client) error { _, err := c.ListPullRequests(ctx, "proposed/"); return err }, true, false, "500 database is locked"},
		{"a gateway's HTML error page is transient", 502, "<html><body>Bad Gateway</body></html>",
			func(c *gitea.Client) error { return c.Close(ctx, 3, "") }, true, false, "502 <html><body>Bad Gateway</body></html>"},
		{"too many requests is transient", 429, ``,
			func(c *gitea.Client) error { _, err := c.FindPullRequest(ctx, "x"); return err }, true, false, "429 Too Many Requests"},
		{"a merge Gitea refuses is ErrRefused", 405, `{"message":"Please try again later","url":"x"}`,
			func(c *gitea.Client) error { return c.Merge(ctx, 3, "abc", "m") }, false, true, "Please try again later"},
		{"a moved head is ErrRefused", 409, `{"message":"head out of date","url":"x"}`,
			func(c *gitea.Client) error { return c.Merge(ctx, 3, "abc", "m") }, false, true, "head out of date"},
		{"a missing repository is neither, and not ErrNotFound", 404, `{"errors":null,"message":"not found","url":"x"}`,
			func(c *gitea.Client) error { _, err := c.FindPullRequest(ctx, "x"); return err }, false, false, "404 not found"},
		{"a bad token is neither", 401, `{"message":"user does not exist [uid: 0, name: ]","url":"x"}`,
			func(c *gitea.Client) error {
				_, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: "h", Base: "main", Labels: []string{"l"}})
				return err
			}, false, false, "401 user does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, reqs := answering(t, tc.status, tc.body, gitea.Config{})
			err := tc.call(c)
			require.Error(t, err)
			require.Equal(t, tc.transient, review.Transient(err), "%v", err)
			require.Equal(t, tc.refused, errors.Is(err, review.ErrRefused), "%v", err)
			require.NotErrorIs(t, err, review.ErrNotFound)
			require.Contains(t, err.Error(), tc.message)
			require.NotContains(t, err.Error(), testToken)
			require.NotEmpty(t, *reqs)
			require.Equal(t, "token "+testToken, (*reqs)[0].Header.Get("Authorization"))
		})
	}
}

func TestNoAnswerIsTransientButACancelledContextIsNot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := gitea.New(gitea.Config{BaseURL: "http://" + addr, Owner: "ops", Repo: "deployments", Token: testToken})
	require.NoError(t, err)

	err = c.Close(context.Background(), 1, "")
	require.True(t, review.Transient(err), "%v", err)
	require.NotContains(t, err.Error(), testToken)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.Close(ctx, 1, "")
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, review.Transient(err))
}

func TestAnAnswerOverTheLimitIsAnError(t *testing.T) {
	c, _ := answering(t, 200, `[`+strings.Repeat(`{"number":1},`, 100)+`{"number":2}]`, gitea.Config{MaxResponseBytes: 256})
	_, err := c.ListPullRequests(context.Background(), "")
	require.ErrorContains(t, err, "over 256 bytes")
}
