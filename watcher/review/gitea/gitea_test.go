package gitea_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/watcher/review"
	"github.com/nephoran/nephoran/watcher/review/gitea"
)

const (
	headA = "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67"
	headB = "proposed/deploy/du-site-b/9c1b7e04aa3d2f10"
	headC = "proposed/deploy/upf-edge-1/0123456789abcdef"
)

// hook is one webhook request as the receiver saw it.
type hook struct {
	header http.Header
	body   []byte
}

// deployment is a real Gitea with repository deploy: main and the
// proposal branches pushed with the git CLI, a webhook to a loopback
// receiver, and a client with two pull requests per page (so every list
// reads several pages).
type deployment struct {
	g       *testenv.Gitea
	c       *gitea.Client
	work    string
	heads   map[string]string
	hooks   chan hook
	secret  []byte
	repoAPI string
}

func newDeployment(t *testing.T) *deployment {
	g := testenv.StartGitea(t)
	d := &deployment{g: g, heads: map[string]string{}, hooks: make(chan hook, 64), secret: []byte("webhook-secret"),
		repoAPI: "/repos/" + g.User + "/deploy"}
	clone := g.CreateRepo(t, "deploy")

	d.work = filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "init", "--quiet", "--initial-branch=main", d.work)
	testenv.Git(t, d.work, "remote", "add", "origin", clone)
	d.commit(t, "deploy/upf-edge-1/replicas.yaml", "replicas: 2\n", "seed")
	testenv.Git(t, d.work, "push", "--quiet", "origin", "main")
	for _, b := range []string{headA, headB, headC, "feature/unrelated"} {
		d.pushBranch(t, b)
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d.hooks <- hook{header: r.Header.Clone(), body: body}
	}))
	t.Cleanup(receiver.Close)
	g.AddWebhook(t, "deploy", receiver.URL, string(d.secret))

	c, err := gitea.New(gitea.Config{BaseURL: g.URL + "/", Owner: g.User, Repo: "deploy", Token: g.Token, PageSize: 2})
	require.NoError(t, err)
	d.c = c
	return d
}

func (d *deployment) commit(t *testing.T, name, content, message string) {
	t.Helper()
	path := filepath.Join(d.work, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	testenv.Git(t, d.work, "add", name)
	testenv.Git(t, d.work, "commit", "--quiet", "-m", message)
}

// pushBranch adds a commit to branch (created off main when new), pushes
// it and records its head; main stays checked out.
func (d *deployment) pushBranch(t *testing.T, branch string) string {
	t.Helper()
	if _, ok := d.heads[branch]; ok {
		testenv.Git(t, d.work, "checkout", "--quiet", branch)
	} else {
		testenv.Git(t, d.work, "checkout", "--quiet", "-b", branch, "main")
	}
	d.commit(t, strings.ReplaceAll(branch, "/", "_")+".txt", time.Now().String(), "propose "+branch)
	testenv.Git(t, d.work, "push", "--quiet", "origin", branch)
	d.heads[branch] = testenv.Git(t, d.work, "rev-parse", "HEAD")
	testenv.Git(t, d.work, "checkout", "--quiet", "main")
	return d.heads[branch]
}

// waitMergeable waits until Gitea's background check of pull request n
// says it is mergeable.
func (d *deployment) waitMergeable(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var p struct {
			Mergeable bool `json:"mergeable"`
		}
		return d.g.API(t, http.MethodGet, d.repoAPI+"/pulls/"+strconv.Itoa(n), nil, &p) == http.StatusOK && p.Mergeable
	}, 30*time.Second, 100*time.Millisecond)
}

// event waits for the webhook delivery of pull request n with action,
// parses it with ParseWebhook, and returns it; others are skipped (and
// deliveries of other events must be ErrIgnored).
func (d *deployment) event(t *testing.T, n int, action string) review.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case h := <-d.hooks:
			ev, err := gitea.ParseWebhook(h.header, h.body, d.secret)
			if errors.Is(err, review.ErrIgnored) {
				// The hook also sends issue_comment, pull_request_comment...
				require.NotEqual(t, "pull_request", h.header.Get("X-Gitea-Event"))
				continue
			}
			require.NoError(t, err, "a real delivery parses: %s", h.body)
			if ev.PullRequest.Number == n && ev.Action == action {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s delivery for pull request #%d after 30 s", action, n)
		}
	}
}

func TestClientAgainstGitea(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	c, g := d.c, d.g

	// Open, creating the labels once.
	a, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "PRB 0.93 on gnb-001",
		Body: review.Marker("3f2a9c0d1e4b5a67") + "\n\nbody", Labels: []string{"nephoran/scale_out", "nephoran/auto"}})
	require.NoError(t, err)
	require.Positive(t, a.Number)
	require.Equal(t, g.URL+"/"+g.User+"/deploy/pulls/"+strconv.Itoa(a.Number), a.URL)
	require.Equal(t, headA, a.Head)
	require.Equal(t, "main", a.Base)
	require.Equal(t, d.heads[headA], a.HeadSHA)
	require.Equal(t, []string{"nephoran/auto", "nephoran/scale_out"}, a.Labels, "sorted")
	require.True(t, a.Open)
	require.False(t, a.Merged)
	opened := d.event(t, a.Number, review.ActionOpened)
	require.Equal(t, g.User, opened.Sender)
	require.Equal(t, "3f2a9c0d1e4b5a67", review.MarkedDecision(opened.PullRequest.Body))

	b, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headB, Base: "main", Title: "B", Body: "b",
		Labels: []string{"nephoran/migrate", "nephoran/auto"}})
	require.NoError(t, err)
	_, err = c.OpenPullRequest(ctx, review.NewPullRequest{Head: "feature/unrelated", Base: "main", Title: "not a proposal"})
	require.NoError(t, err)
	cc, err := c.OpenPullRequest(ctx, review.NewPullRequest{Head: headC, Base: "main", Title: "C", Body: "c",
		Labels: []string{"nephoran/scale_out"}})
	require.NoError(t, err)

	var labels []struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Color string `json:"color"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, d.repoAPI+"/labels", nil, &labels))
	var names []string
	for _, l := range labels {
		names = append(names, l.Name)
		require.Equal(t, "1d76db", l.Color)
	}
	require.ElementsMatch(t, []string{"nephoran/scale_out", "nephoran/auto", "nephoran/migrate"}, names, "each label created once")

	_, err = c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "again"})
	require.Error(t, err, "Gitea refuses a second open pull request of a head")
	require.False(t, review.Transient(err))

	// Find and list.
	got, err := c.FindPullRequest(ctx, headA)
	require.NoError(t, err)
	require.Equal(t, a, got)
	_, err = c.FindPullRequest(ctx, "proposed/deploy/none/ffffffffffffffff")
	require.ErrorIs(t, err, review.ErrNotFound)

	list, err := c.ListPullRequests(ctx, "proposed/")
	require.NoError(t, err)
	require.Equal(t, []int{cc.Number, b.Number, a.Number}, numbers(list), "newest first, across pages of two")
	list, err = c.ListPullRequests(ctx, "proposed/deploy/upf-edge-1/")
	require.NoError(t, err)
	require.Equal(t, []int{cc.Number, a.Number}, numbers(list))

	// Merge: refused for a head that moved, then merged; the merge commit
	// carries the message, title and body.
	d.waitMergeable(t, a.Number)
	err = c.Merge(ctx, a.Number, d.heads[headB], "Merge A")
	require.ErrorIs(t, err, review.ErrRefused)
	require.ErrorContains(t, err, "409 head out of date")
	require.False(t, review.Transient(err))
	message := "Merge proposal 3f2a9c0d1e4b5a67\n\nNephoran-Merged-From: " + headA
	require.NoError(t, c.Merge(ctx, a.Number, d.heads[headA], message))

	var raw struct {
		State          string `json:"state"`
		Merged         bool   `json:"merged"`
		MergeCommitSHA string `json:"merge_commit_sha"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, d.repoAPI+"/pulls/"+strconv.Itoa(a.Number), nil, &raw))
	require.True(t, raw.Merged)
	require.Equal(t, "closed", raw.State)
	testenv.Git(t, d.work, "fetch", "--quiet", "origin", "main")
	require.Equal(t, raw.MergeCommitSHA, testenv.Git(t, d.work, "rev-parse", "FETCH_HEAD"))
	require.Equal(t, message, testenv.Git(t, d.work, "log", "-1", "--format=%B", "FETCH_HEAD"))

	merged, err := c.FindPullRequest(ctx, headA)
	require.NoError(t, err)
	require.True(t, merged.Merged)
	require.False(t, merged.Open)
	require.Equal(t, g.User, merged.MergedBy)
	require.Equal(t, g.User, merged.ClosedBy)
	require.False(t, merged.MergedAt.IsZero())
	mergedEvent := d.event(t, a.Number, review.ActionClosed)
	require.True(t, mergedEvent.PullRequest.Merged)
	require.Equal(t, g.User, mergedEvent.PullRequest.MergedBy)
	require.True(t, merged.MergedAt.Equal(mergedEvent.PullRequest.MergedAt))

	err = c.Merge(ctx, a.Number, d.heads[headA], "again")
	require.Error(t, err, "a merged pull request is not merged twice")
	require.False(t, review.Transient(err))

	// Close with a comment.
	require.NoError(t, c.Close(ctx, b.Number, "Superseded by a newer decision."))
	var comments []struct {
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, d.repoAPI+"/issues/"+strconv.Itoa(b.Number)+"/comments", nil, &comments))
	require.Len(t, comments, 1)
	require.Equal(t, "Superseded by a newer decision.", comments[0].Body)
	closed, err := c.FindPullRequest(ctx, headB)
	require.NoError(t, err)
	require.False(t, closed.Open)
	require.False(t, closed.Merged)
	require.Equal(t, g.User, closed.ClosedBy, "read from the timeline")
	require.False(t, closed.ClosedAt.IsZero())
	closedEvent := d.event(t, b.Number, review.ActionClosed)
	require.False(t, closedEvent.PullRequest.Merged)
	require.Equal(t, g.User, closedEvent.PullRequest.ClosedBy)
	err = c.Merge(ctx, b.Number, d.heads[headB], "m")
	require.Error(t, err, "a closed pull request is not merged")
	require.False(t, review.Transient(err))

	list, err = c.ListPullRequests(ctx, "proposed/")
	require.NoError(t, err)
	require.Equal(t, []int{cc.Number, b.Number, a.Number}, numbers(list))
	require.True(t, list[0].Open)
	require.False(t, list[1].Open)
	require.Empty(t, list[1].ClosedBy, "the list does not say who closed")
	require.True(t, list[2].Merged)

	// A push to a proposal's branch.
	moved := d.pushBranch(t, headC)
	sync := d.event(t, cc.Number, review.ActionSynchronized)
	require.Equal(t, moved, sync.PullRequest.HeadSHA)
	require.True(t, sync.PullRequest.Open)
}

func numbers(prs []review.PullRequest) []int {
	out := make([]int, len(prs))
	for i, p := range prs {
		out[i] = p.Number
	}
	return out
}

// TestOutageIsTransient: a stopped Gitea is a transient error, and the
// same client works once it is back.
func TestOutageIsTransient(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.g.Stop()
	_, err := d.c.ListPullRequests(ctx, "proposed/")
	require.True(t, review.Transient(err), "%v", err)
	require.NotContains(t, err.Error(), d.g.Token)
	d.g.Start(t)
	_, err = d.c.OpenPullRequest(ctx, review.NewPullRequest{Head: headA, Base: "main", Title: "A", Labels: []string{"nephoran/scale_out"}})
	require.NoError(t, err)
}

func TestABadTokenIsNotTransient(t *testing.T) {
	d := newDeployment(t)
	c, err := gitea.New(gitea.Config{BaseURL: d.g.URL, Owner: d.g.User, Repo: "deploy", Token: "0000000000000000000000000000000000000000"})
	require.NoError(t, err)
	_, err = c.ListPullRequests(context.Background(), "proposed/")
	require.Error(t, err)
	require.False(t, review.Transient(err))
	require.Contains(t, err.Error(), "401")
	require.NotContains(t, err.Error(), "0000000000000000000000000000000000000000")
}
