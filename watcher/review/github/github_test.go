package github_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/review"
	"github.com/nephoran/nephoran/watcher/review/github"
)

const (
	testToken = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
	owner     = "ops"
	repo      = "deployments"
)

func newClient(t *testing.T, f *fakeGitHub, pageSize int) *github.Client {
	t.Helper()
	c, err := github.New(github.Config{BaseURL: f.srv.URL, Owner: owner, Repo: repo, Token: testToken, PageSize: pageSize})
	require.NoError(t, err)
	return c
}

const (
	headA = "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67"
	headB = "proposed/deploy/du-site-b/9c1b7e04aa3d2f10"
	headC = "proposed/deploy/upf-edge-1/0123456789abcdef"
)

// TestPullRequestLifecycle goes through what the review stage does on
// GitHub: open the proposals' pull requests, find and list them, merge one
// (refused first, for a moved head and for mergeability), close one with
// a comment, and learn who closed one in the web UI.
func TestPullRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, owner, repo, testToken)
	f.push("main")
	shaA, shaB := f.push(headA), f.push(headB)
	f.push(headC)
	f.push("feature/unrelated")
	c := newClient(t, f, 2)

	// Open.
	a, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "PRB 0.93 on gnb-001",
		Body: review.Marker("3f2a9c0d1e4b5a67") + "\n\nbody", Labels: []string{"nephoran/scale_out", "nephoran/auto"}})
	require.NoError(t, err)
	require.Equal(t, 1, a.Number)
	require.Equal(t, f.srv.URL+"/ops/deployments/pull/1", a.URL)
	require.Equal(t, headA, a.Head)
	require.Equal(t, "main", a.Base)
	require.Equal(t, shaA, a.HeadSHA)
	require.Equal(t, []string{"nephoran/auto", "nephoran/scale_out"}, a.Labels, "sorted")
	require.True(t, a.Open)
	require.False(t, a.Merged)
	require.JSONEq(t, `{"title":"PRB 0.93 on gnb-001","head":"`+headA+`","base":"main","body":"<!-- nephoran:decision 3f2a9c0d1e4b5a67 -->\n\nbody"}`,
		f.sent("POST", "pulls")[0])
	require.JSONEq(t, `["nephoran/scale_out","nephoran/auto"]`, f.sent("POST", "labels")[0])

	b, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headB, Base: "main", Title: "B", Body: "b", Labels: []string{"nephoran/migrate"}})
	require.NoError(t, err)
	_, err = c.OpenPullRequest(ctx, review.NewPullRequest{Head: "feature/unrelated", Base: "main", Title: "not a proposal"})
	require.NoError(t, err)
	require.Len(t, f.sent("POST", "labels"), 2, "no labels, no labels request")
	cc, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headC, Base: "main", Title: "C", Body: "c"})
	require.NoError(t, err)

	_, err = c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "again"})
	require.ErrorContains(t, err, "A pull request already exists for ops:"+headA)
	require.False(t, review.Transient(err))

	// Find.
	got, err := c.FindPullRequest(ctx, headA)
	require.NoError(t, err)
	require.Equal(t, a, got)
	_, err = c.FindPullRequest(ctx, "proposed/deploy/none/ffffffffffffffff")
	require.ErrorIs(t, err, review.ErrNotFound)
	require.Contains(t, f.requests(), "GET /api/v3/repos/ops/deployments/pulls?direction=desc&head=ops%3A"+url.QueryEscape(headA)+"&per_page=2&sort=created&state=all")

	// List: every page (two per page), newest first, proposals only.
	list, err := c.ListPullRequests(ctx, "proposed/")
	require.NoError(t, err)
	require.Equal(t, []int{cc.Number, b.Number, a.Number}, numbers(list))
	for _, want := range []string{
		"GET /api/v3/repos/ops/deployments/pulls?direction=desc&per_page=2&sort=created&state=all",
		"GET /api/v3/repos/ops/deployments/pulls?direction=desc&page=2&per_page=2&sort=created&state=all",
	} {
		require.Contains(t, f.requests(), want)
	}
	list, err = c.ListPullRequests(ctx, "proposed/deploy/upf-edge-1/")
	require.NoError(t, err)
	require.Equal(t, []int{cc.Number, a.Number}, numbers(list))

	// Merge: a moved head and an unmergeable pull request are refused.
	err = c.Merge(ctx, a.Number, shaB, "Merge proposal\n\nNephoran-Merged-From: "+headA)
	require.ErrorIs(t, err, review.ErrRefused)
	require.ErrorContains(t, err, "409 Head branch was modified")
	f.setMergeable(a.Number, false)
	err = c.Merge(ctx, a.Number, shaA, "Merge proposal")
	require.ErrorIs(t, err, review.ErrRefused)
	require.ErrorContains(t, err, "405 Pull Request is not mergeable")
	require.False(t, review.Transient(err))
	f.setMergeable(a.Number, true)
	require.NoError(t, c.Merge(ctx, a.Number, shaA, "Merge proposal\n\nNephoran-Merged-From: "+headA))
	require.JSONEq(t, `{"commit_title":"Merge proposal","commit_message":"Nephoran-Merged-From: `+headA+`","sha":"`+shaA+`","merge_method":"merge"}`,
		f.sent("PUT", "merge")[2])
	merged, err := c.FindPullRequest(ctx, headA)
	require.NoError(t, err)
	require.True(t, merged.Merged)
	require.False(t, merged.Open)
	require.Equal(t, "nephoran-bot", merged.MergedBy, "read from GET pulls/{n}: the list has no merged_by")
	require.Equal(t, "nephoran-bot", merged.ClosedBy)
	require.False(t, merged.MergedAt.IsZero())
	require.Equal(t, merged.MergedAt, merged.ClosedAt)
	require.ErrorIs(t, c.Merge(ctx, a.Number, shaA, ""), review.ErrRefused, "a merged pull request is not mergeable")

	// Close with a comment.
	require.NoError(t, c.Close(ctx, b.Number, "Superseded by a newer decision."))
	require.Equal(t, []string{"Superseded by a newer decision."}, f.commentsOn(b.Number))
	require.JSONEq(t, `{"body":"Superseded by a newer decision."}`, f.sent("POST", "comments")[0])
	require.JSONEq(t, `{"state":"closed"}`, f.sent("PATCH", "pull")[0])
	closed, err := c.FindPullRequest(ctx, headB)
	require.NoError(t, err)
	require.False(t, closed.Open)
	require.False(t, closed.Merged)
	require.Equal(t, "nephoran-bot", closed.ClosedBy)
	require.Empty(t, closed.MergedBy)

	// A person rejects one in the web UI.
	f.closeAs(cc.Number, "alice")
	rejected, err := c.FindPullRequest(ctx, headC)
	require.NoError(t, err)
	require.Equal(t, "alice", rejected.ClosedBy)
	require.False(t, rejected.Merged)

	require.NoError(t, c.Close(ctx, cc.Number, ""), "closing a closed pull request is no error")
	require.Len(t, f.commentsOn(cc.Number), 0, "no comment, no comment request")

	for _, r := range f.requests() {
		require.NotContains(t, r, testToken)
	}
}

func numbers(prs []review.PullRequest) []int {
	out := make([]int, len(prs))
	for i, p := range prs {
		out[i] = p.Number
	}
	return out
}

func TestAForkBranchOfTheSameNameIsNoProposal(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, owner, repo, testToken)
	f.push("main")
	f.addForkPull("mallory/deployments", headA, "main")
	c := newClient(t, f, 0)

	_, err := c.FindPullRequest(ctx, headA)
	require.ErrorIs(t, err, review.ErrNotFound)
	list, err := c.ListPullRequests(ctx, "proposed/")
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestErrorsSayWhatTheCallerBranchesOn(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		method      string
		route       string
		status      int
		header      http.Header
		body        string
		call        func(*github.Client) error
		transient   bool
		wantMessage string
	}{
		{"a bad gateway is transient", "GET", "pulls", 502, nil, "<html><body><h1>502 Bad Gateway</h1></body></html>",
			func(c *github.Client) error { _, err := c.ListPullRequests(ctx, "proposed/"); return err }, true, "502"},
		{"an unavailable server while merging is transient, not refused", "PUT", "merge", 503, nil, `{"message":"Service Unavailable"}`,
			func(c *github.Client) error { return c.Merge(ctx, 1, "abc", "m") }, true, "503 Service Unavailable"},
		{"the primary rate limit is transient", "GET", "pulls", 403,
			http.Header{"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1767225600"}},
			`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`,
			func(c *github.Client) error { _, err := c.FindPullRequest(ctx, headA); return err }, true, "API rate limit exceeded"},
		{"a secondary rate limit is transient", "POST", "comments", 403, http.Header{"Retry-After": {"60"}},
			`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			func(c *github.Client) error { return c.Close(ctx, 1, "bye") }, true, "secondary rate limit"},
		{"429 is transient", "PATCH", "pull", 429, nil, `{"message":"Too Many Requests"}`,
			func(c *github.Client) error { return c.Close(ctx, 1, "") }, true, "429"},
		{"a forbidden change is neither transient nor refused", "PATCH", "pull", 403, nil,
			`{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/pulls/pulls#update-a-pull-request","status":"403"}`,
			func(c *github.Client) error { return c.Close(ctx, 1, "") }, false, "403 Resource not accessible"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGitHub(t, owner, repo, testToken)
			f.push("main")
			f.push(headA)
			c := newClient(t, f, 0)
			_, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "A"})
			require.NoError(t, err)
			f.failNext(tc.method, tc.route, tc.status, tc.header, tc.body)
			err = tc.call(c)
			require.Error(t, err)
			require.Equal(t, tc.transient, review.Transient(err), "%v", err)
			require.NotErrorIs(t, err, review.ErrRefused)
			require.NotErrorIs(t, err, review.ErrNotFound)
			require.ErrorContains(t, err, tc.wantMessage)
			require.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestABadTokenIsNotTransient(t *testing.T) {
	f := newFakeGitHub(t, owner, repo, testToken)
	c, err := github.New(github.Config{BaseURL: f.srv.URL, Owner: owner, Repo: repo, Token: "ghp_wrong"})
	require.NoError(t, err)
	_, err = c.ListPullRequests(context.Background(), "proposed/")
	require.ErrorContains(t, err, "401 Bad credentials")
	require.False(t, review.Transient(err))
	require.NotContains(t, err.Error(), "ghp_wrong")
}

func TestLabelsThatFailAfterOpeningReturnThePullRequest(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, owner, repo, testToken)
	f.push("main")
	f.push(headA)
	c := newClient(t, f, 0)
	f.failNext("POST", "labels", 500, nil, `{"message":"Server Error"}`)
	pr, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "A", Labels: []string{"nephoran/scale_out"}})
	require.Error(t, err)
	require.True(t, review.Transient(err))
	require.Equal(t, 1, pr.Number, "the caller learns the pull request exists")
}

func TestAnAnswerOverTheLimitIsAnError(t *testing.T) {
	f := newFakeGitHub(t, owner, repo, testToken)
	f.push("main")
	f.push(headA)
	c, err := github.New(github.Config{BaseURL: f.srv.URL, Owner: owner, Repo: repo, Token: testToken, MaxResponseBytes: 512})
	require.NoError(t, err)
	_, err = c.OpenPullRequest(context.Background(), review.NewPullRequest{Head: headA, Base: "main", Title: "A"})
	require.ErrorContains(t, err, "over the response size limit")
}

func TestNewRefusesIncompleteConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  github.Config
		want string
	}{
		{"no owner", github.Config{Repo: repo, Token: testToken}, "owner and repo"},
		{"no token", github.Config{Owner: owner, Repo: repo}, "token is required"},
		{"credentials in the URL", github.Config{BaseURL: "https://x:s3cret@ghe.example.com/", Owner: owner, Repo: repo, Token: testToken}, "credentials belong in the token"},
		{"no scheme", github.Config{BaseURL: "ghe.example.com", Owner: owner, Repo: repo, Token: testToken}, "want http(s)://host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := github.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

// webhook is a pull_request delivery as GitHub sends it, with the fake's
// pull request JSON (the shape GitHub's payloads carry).
func webhook(t *testing.T, f *fakeGitHub, action string, number int, sender string) []byte {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	body, err := json.Marshal(map[string]any{
		"action": action, "number": number, "pull_request": f.pullJSON(f.pulls[number-1], true),
		"repository": f.repoJSON(owner + "/" + repo), "sender": f.user(sender),
	})
	require.NoError(t, err)
	return body
}

func signed(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func deliveryHeader(event, signature string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/5c1e2a3")
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Hook-ID", "292430182")
	if signature != "" {
		h.Set("X-Hub-Signature-256", signature)
	}
	return h
}

func TestParseWebhook(t *testing.T) {
	ctx := context.Background()
	secret := []byte("webhook-secret")
	f := newFakeGitHub(t, owner, repo, testToken)
	f.push("main")
	shaA := f.push(headA)
	f.push(headB)
	c := newClient(t, f, 0)
	_, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "A", Body: review.Marker("3f2a9c0d1e4b5a67"), Labels: []string{"nephoran/scale_out"}})
	require.NoError(t, err)
	_, err = c.OpenPullRequest(ctx, review.NewPullRequest{Head: headB, Base: "main", Title: "B"})
	require.NoError(t, err)

	fork := f.addForkPull("mallory/deployments", headA, "main")
	forkClosed := webhook(t, f, "closed", fork, "mallory")
	opened := webhook(t, f, "opened", 1, "nephoran-bot")
	moved := f.push(headA)
	synchronize := webhook(t, f, "synchronize", 1, "nephoran-bot")
	require.NoError(t, c.Merge(ctx, 1, moved, "m"))
	mergedBody := webhook(t, f, "closed", 1, "alice")
	f.closeAs(2, "bob")
	rejectedBody := webhook(t, f, "closed", 2, "bob")

	t.Run("events", func(t *testing.T) {
		ev, err := c.ParseWebhook(deliveryHeader("pull_request", signed(secret, opened)), opened, secret)
		require.NoError(t, err)
		require.Equal(t, review.ActionOpened, ev.Action)
		require.Equal(t, "nephoran-bot", ev.Sender)
		require.Equal(t, 1, ev.PullRequest.Number)
		require.Equal(t, headA, ev.PullRequest.Head)
		require.Equal(t, shaA, ev.PullRequest.HeadSHA)
		require.Equal(t, []string{"nephoran/scale_out"}, ev.PullRequest.Labels)
		require.True(t, ev.PullRequest.Open)
		require.Equal(t, "3f2a9c0d1e4b5a67", review.MarkedDecision(ev.PullRequest.Body))

		ev, err = c.ParseWebhook(deliveryHeader("pull_request", signed(secret, synchronize)), synchronize, secret)
		require.NoError(t, err)
		require.Equal(t, review.ActionSynchronized, ev.Action, "GitHub's synchronize in Gitea's word")
		require.Equal(t, moved, ev.PullRequest.HeadSHA)

		ev, err = c.ParseWebhook(deliveryHeader("pull_request", signed(secret, mergedBody)), mergedBody, secret)
		require.NoError(t, err)
		require.Equal(t, review.ActionClosed, ev.Action)
		require.True(t, ev.PullRequest.Merged)
		require.False(t, ev.PullRequest.Open)
		require.Equal(t, "nephoran-bot", ev.PullRequest.MergedBy)
		require.Equal(t, "nephoran-bot", ev.PullRequest.ClosedBy)

		ev, err = github.ParseWebhook(deliveryHeader("pull_request", signed(secret, rejectedBody)), rejectedBody, secret)
		require.NoError(t, err)
		require.Equal(t, review.ActionClosed, ev.Action)
		require.False(t, ev.PullRequest.Merged)
		require.Equal(t, "bob", ev.PullRequest.ClosedBy)
		require.Equal(t, "bob", ev.Sender)
	})

	t.Run("a form delivery is verified over its body", func(t *testing.T) {
		form := []byte(url.Values{"payload": {string(opened)}}.Encode())
		h := deliveryHeader("pull_request", signed(secret, form))
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		ev, err := c.ParseWebhook(h, form, secret)
		require.NoError(t, err)
		require.Equal(t, 1, ev.PullRequest.Number)
	})

	for _, tc := range []struct {
		name   string
		header http.Header
		body   []byte
		secret []byte
		want   error
	}{
		{"signed with another secret", deliveryHeader("pull_request", signed([]byte("other"), opened)), opened, secret, review.ErrSignature},
		{"no signature", deliveryHeader("pull_request", ""), opened, secret, review.ErrSignature},
		{"only the SHA-1 signature", func() http.Header {
			h := deliveryHeader("pull_request", "")
			h.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
			return h
		}(), opened, secret, review.ErrSignature},
		{"not hex", deliveryHeader("pull_request", "sha256=zz"), opened, secret, review.ErrSignature},
		{"a truncated signature", deliveryHeader("pull_request", signed(secret, opened)[:20]), opened, secret, review.ErrSignature},
		{"a body changed after signing", deliveryHeader("pull_request", signed(secret, opened)), []byte(strings.Replace(string(opened), "opened", "closed", 1)), secret, review.ErrSignature},
		{"no secret configured accepts nothing", deliveryHeader("pull_request", signed(nil, opened)), opened, nil, review.ErrSignature},
		{"an unsigned delivery of another event is a signature error first", deliveryHeader("push", ""), opened, secret, review.ErrSignature},
		{"another event", deliveryHeader("push", signed(secret, opened)), opened, secret, review.ErrIgnored},
		{"a review is another event", deliveryHeader("pull_request_review", signed(secret, opened)), opened, secret, review.ErrIgnored},
		{"a pull request from a fork's branch named like a proposal", deliveryHeader("pull_request", signed(secret, forkClosed)), forkClosed, secret, review.ErrIgnored},
		{"a ping", deliveryHeader("ping", signed(secret, []byte(`{"zen":"Keep it logically awesome."}`))), []byte(`{"zen":"Keep it logically awesome."}`), secret, review.ErrIgnored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ParseWebhook(tc.header, tc.body, tc.secret)
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), string(secret))
		})
	}
}
