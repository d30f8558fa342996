package testenv_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// TestGitServerServesClonesAndPushesOverHTTP: a seeded repository clones
// over smart HTTP with main checked out, and a push over HTTP lands on the
// bare repository.
func TestGitServerServesClonesAndPushesOverHTTP(t *testing.T) {
	s := testenv.StartGitServer(t)
	require.True(t, strings.HasPrefix(s.URL("deploy"), "http://127.0.0.1:"), s.URL("deploy"))
	seeded := s.SeedRepo(t, "deploy", filepath.Join(testenv.RepoRoot(t), "blueprints", "upf"), "deploy/upf-edge-1")
	require.Equal(t, seeded, s.Ref(t, "deploy", "refs/heads/main"))

	var requests atomic.Int32
	s.OnRequest(func(*http.Request) { requests.Add(1) })
	work := filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "clone", "--quiet", s.URL("deploy"), work)
	require.Equal(t, "main", testenv.Git(t, work, "branch", "--show-current"))
	require.FileExists(t, filepath.Join(work, "deploy", "upf-edge-1", "cnf.yaml"))

	require.NoError(t, os.WriteFile(filepath.Join(work, "NOTES"), []byte("pushed over HTTP\n"), 0o644))
	testenv.Git(t, work, "add", "NOTES")
	testenv.Git(t, work, "commit", "--quiet", "-m", "notes")
	testenv.Git(t, work, "push", "--quiet", "origin", "main")
	require.Equal(t, testenv.Git(t, work, "rev-parse", "HEAD"), s.Ref(t, "deploy", "refs/heads/main"))
	require.Positive(t, requests.Load(), "the hook saw the requests")
}

// TestGitServerStopRefusesAndStartServesOnTheSameAddress: the outage a
// client must survive: while stopped a fetch fails, after Start the same URL
// works again.
func TestGitServerStopRefusesAndStartServesOnTheSameAddress(t *testing.T) {
	s := testenv.StartGitServer(t)
	s.SeedRepo(t, "deploy", filepath.Join(testenv.RepoRoot(t), "blueprints", "upf"), "")
	s.Stop()
	out, err := exec.Command("git", "ls-remote", s.URL("deploy")).CombinedOutput()
	require.Error(t, err, string(out))

	s.Start(t)
	require.Contains(t, testenv.Git(t, "", "ls-remote", s.URL("deploy")), "refs/heads/main")
}

// TestGitServerRequireBasicAuthRejectsOtherCredentials: with basic auth on,
// only the configured credentials are served.
func TestGitServerRequireBasicAuthRejectsOtherCredentials(t *testing.T) {
	s := testenv.StartGitServer(t)
	s.SeedRepo(t, "deploy", filepath.Join(testenv.RepoRoot(t), "blueprints", "upf"), "")
	s.RequireBasicAuth("watcher", "s3cret")

	u, err := url.Parse(s.URL("deploy"))
	require.NoError(t, err)
	u.User = url.UserPassword("watcher", "wrong")
	cmd := exec.Command("git", "ls-remote", u.String())
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, string(out))

	u.User = url.UserPassword("watcher", "s3cret")
	require.Contains(t, testenv.Git(t, "", "ls-remote", u.String()), "refs/heads/main")
}
