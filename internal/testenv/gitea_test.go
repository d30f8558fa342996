package testenv_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// giteaPR is the part of Gitea's pull-request JSON the tests check.
type giteaPR struct {
	Number         int64  `json:"number"`
	State          string `json:"state"`
	Merged         bool   `json:"merged"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	Head           struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

// giteaDelivery is one webhook request as the receiver saw it.
type giteaDelivery struct {
	Event, Signature string
	Body             []byte
	Payload          struct {
		Action      string  `json:"action"`
		Number      int64   `json:"number"`
		PullRequest giteaPR `json:"pull_request"`
	}
}

// TestGiteaPullRequestsAndSignedWebhooks walks the life of a proposal on a
// real Gitea: branches pushed with the git CLI over HTTP, a pull request
// opened and listed with the right head and base, a webhook on a loopback
// receiver signed with HMAC-SHA256 when the pull request is closed, and a
// second pull request merged through the API (main moves to the merge
// commit, and the webhook says merged).
func TestGiteaPullRequestsAndSignedWebhooks(t *testing.T) {
	g := testenv.StartGitea(t)
	require.True(t, strings.HasPrefix(g.URL, "http://127.0.0.1:"), g.URL)
	require.False(t, strings.HasSuffix(g.URL, "/"), g.URL)
	var version struct {
		Version string `json:"version"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/version", nil, &version))
	require.Equal(t, "1.26.0", version.Version)

	clone := g.CreateRepo(t, "deploy")
	require.Equal(t, g.CloneURL("deploy"), clone)
	var repo struct {
		DefaultBranch string `json:"default_branch"`
		Empty         bool   `json:"empty"`
		CloneURL      string `json:"clone_url"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/repos/"+g.User+"/deploy", nil, &repo))
	require.Equal(t, "main", repo.DefaultBranch)
	require.True(t, repo.Empty)
	require.Equal(t, g.CloneURLWithoutAuth("deploy"), repo.CloneURL)

	work := filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "init", "--quiet", "--initial-branch=main", work)
	testenv.Git(t, work, "remote", "add", "origin", clone)
	commitFile(t, work, "replicas.yaml", "replicas: 1\n", "seed")
	testenv.Git(t, work, "push", "--quiet", "origin", "main")
	base := testenv.Git(t, work, "rev-parse", "HEAD")

	const first = "proposed/x/0123456789abcdef"
	firstHead := pushBranch(t, work, first, "replicas.yaml", "replicas: 2\n")
	pr := openPR(t, g, first)
	var open []giteaPR
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/repos/"+g.User+"/deploy/pulls?state=open", nil, &open))
	require.Len(t, open, 1)
	require.Equal(t, pr, open[0].Number)
	require.Equal(t, first, open[0].Head.Ref)
	require.Equal(t, firstHead, open[0].Head.SHA)
	require.Equal(t, "main", open[0].Base.Ref)

	const secret = "webhook-secret"
	deliveries := make(chan giteaDelivery, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := giteaDelivery{Event: r.Header.Get("X-Gitea-Event"), Signature: r.Header.Get("X-Gitea-Signature")}
		d.Body, _ = io.ReadAll(r.Body)
		_ = json.Unmarshal(d.Body, &d.Payload)
		deliveries <- d
	}))
	t.Cleanup(receiver.Close)
	require.True(t, strings.HasPrefix(receiver.URL, "http://127.0.0.1:"), receiver.URL)
	require.Positive(t, g.AddWebhook(t, "deploy", receiver.URL, secret))

	require.Equal(t, http.StatusCreated, g.API(t, http.MethodPatch,
		"/repos/"+g.User+"/deploy/pulls/"+strconv.FormatInt(pr, 10), map[string]any{"state": "closed"}, nil))
	closed := waitDelivery(t, deliveries, pr, "closed")
	require.Equal(t, "pull_request", closed.Event)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(closed.Body)
	require.Equal(t, hex.EncodeToString(mac.Sum(nil)), closed.Signature)
	require.False(t, closed.Payload.PullRequest.Merged)
	require.Equal(t, first, closed.Payload.PullRequest.Head.Ref)

	const second = "proposed/y/fedcba9876543210"
	secondHead := pushBranch(t, work, second, "replicas.yaml", "replicas: 3\n")
	merged := openPR(t, g, second)
	waitDelivery(t, deliveries, merged, "opened")
	mergePR(t, g, merged)
	done := waitDelivery(t, deliveries, merged, "closed")
	require.True(t, done.Payload.PullRequest.Merged)

	var got giteaPR
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet,
		"/repos/"+g.User+"/deploy/pulls/"+strconv.FormatInt(merged, 10), nil, &got))
	require.True(t, got.Merged)
	require.Equal(t, "closed", got.State)
	mainHead := strings.Fields(testenv.Git(t, "", "ls-remote", clone, "refs/heads/main"))[0]
	require.Equal(t, got.MergeCommitSHA, mainHead)
	testenv.Git(t, work, "fetch", "--quiet", "origin", "main")
	parents := strings.Fields(testenv.Git(t, work, "rev-list", "--parents", "-n", "1", "FETCH_HEAD"))
	require.Equal(t, []string{mainHead, base, secondHead}, parents, "a merge commit of main and the branch")
}

// TestGiteaStopRefusesAndStartServesTheSameData: an outage: while stopped
// the API refuses connections; after Start the same URL, token and
// repositories work again.
func TestGiteaStopRefusesAndStartServesTheSameData(t *testing.T) {
	g := testenv.StartGitea(t)
	clone := g.CreateRepo(t, "deploy")
	g.Stop()
	out, err := exec.Command("git", "ls-remote", clone).CombinedOutput()
	require.Error(t, err, string(out))
	_, err = http.Get(g.URL + "/api/healthz")
	require.Error(t, err)

	g.Start(t)
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/repos/"+g.User+"/deploy", nil, nil))
	work := filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "init", "--quiet", "--initial-branch=main", work)
	commitFile(t, work, "README", "after the outage\n", "seed")
	testenv.Git(t, work, "push", "--quiet", clone, "main")
	require.Contains(t, testenv.Git(t, "", "ls-remote", clone), "refs/heads/main")
}

// TestGiteaAPIReportsStatusesAndRejectsBadTokens: API returns non-2xx
// statuses to the caller, and the token is what authenticates it.
func TestGiteaAPIReportsStatusesAndRejectsBadTokens(t *testing.T) {
	g := testenv.StartGitea(t)
	require.Equal(t, http.StatusNotFound, g.API(t, http.MethodGet, "/repos/"+g.User+"/missing", nil, nil))
	var me struct {
		Login   string `json:"login"`
		IsAdmin bool   `json:"is_admin"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/user", nil, &me))
	require.Equal(t, g.User, me.Login)
	require.True(t, me.IsAdmin)

	req, err := http.NewRequest(http.MethodGet, g.URL+"/api/v1/user", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "token 0000000000000000000000000000000000000000")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// commitFile writes content to name in the worktree and commits it.
func commitFile(t *testing.T, work, name, content, message string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(work, name), []byte(content), 0o644))
	testenv.Git(t, work, "add", name)
	testenv.Git(t, work, "commit", "--quiet", "-m", message)
}

// pushBranch commits content to name on a new branch off main, pushes it
// to origin, returns its head and leaves main checked out.
func pushBranch(t *testing.T, work, branch, name, content string) string {
	t.Helper()
	testenv.Git(t, work, "checkout", "--quiet", "-b", branch, "main")
	commitFile(t, work, name, content, "propose "+branch)
	testenv.Git(t, work, "push", "--quiet", "origin", branch)
	head := testenv.Git(t, work, "rev-parse", "HEAD")
	testenv.Git(t, work, "checkout", "--quiet", "main")
	return head
}

// openPR opens a pull request of branch into main in repository deploy and
// returns its number.
func openPR(t *testing.T, g *testenv.Gitea, branch string) int64 {
	t.Helper()
	var pr giteaPR
	body := map[string]string{"title": "Proposal " + branch, "head": branch, "base": "main", "body": "by testenv"}
	require.Equal(t, http.StatusCreated, g.API(t, http.MethodPost, "/repos/"+g.User+"/deploy/pulls", body, &pr))
	require.Positive(t, pr.Number)
	require.Equal(t, "open", pr.State)
	return pr.Number
}

// mergePR merges pull request n with a merge commit. Gitea checks a new
// pull request's mergeability in the background and answers 405 "Please
// try again later" until it is done, so that status is retried.
func mergePR(t *testing.T, g *testenv.Gitea, n int64) {
	t.Helper()
	path := "/repos/" + g.User + "/deploy/pulls/" + strconv.FormatInt(n, 10) + "/merge"
	deadline := time.Now().Add(30 * time.Second)
	for {
		status := g.API(t, http.MethodPost, path, map[string]any{"Do": "merge"}, nil)
		if status == http.StatusOK {
			return
		}
		require.Equal(t, http.StatusMethodNotAllowed, status)
		require.False(t, time.Now().After(deadline), "pull request %d not mergeable after 30 s", n)
		time.Sleep(100 * time.Millisecond)
	}
}

// waitDelivery returns the first webhook delivery for pull request number
// with action, skipping others, and fails the test after 30 s.
func waitDelivery(t *testing.T, deliveries <-chan giteaDelivery, number int64, action string) giteaDelivery {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case d := <-deliveries:
			if d.Payload.Number == number && d.Payload.Action == action {
				return d
			}
			t.Logf("skipped webhook %s %s #%d", d.Event, d.Payload.Action, d.Payload.Number)
		case <-timeout:
			t.Fatalf("no %q webhook for pull request %d after 30 s", action, number)
		}
	}
}
