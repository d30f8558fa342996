package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// TestDemoClosesTheLoop runs the demo as `make demo` does and checks what
// it promises: one scale_out proposal for the UPF from the PRB ramp, one
// migrate proposal for the DU from the LINK_DOWN, the duplicate storm and
// the CLEAR suppressed, the branches in the repository with the right
// diff, and the objects rendered on each branch accepted by a real
// kube-apiserver (server-side dry-run).
func TestDemoClosesTheLoop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var out bytes.Buffer
	require.NoError(t, Run(context.Background(), Options{Workdir: dir, Out: &out}))
	report := out.String()

	require.Equal(t, 1, strings.Count(report, "proposal: upf scale_out"), report)
	require.Equal(t, 1, strings.Count(report, "proposal: du migrate"), report)
	require.Contains(t, report, "== 2 proposals")
	for _, reason := range []string{"Duplicate", "Burst", "Cleared", "ProposalOpen"} {
		require.Contains(t, report, "suppressed: "+reason, report)
	}
	require.Contains(t, report, "-  replicas: 2\n    +  replicas: 3")
	require.Contains(t, report, "+    sites: [edge-2]")

	bare := filepath.Join(dir, "deploy.git")
	branches := strings.Fields(testenv.Git(t, bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/proposed/"))
	require.Len(t, branches, 2, "one branch per proposal")

	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	for _, branch := range branches {
		work := filepath.Join(t.TempDir(), "work")
		testenv.Git(t, filepath.Dir(bare), "clone", "-q", "--branch", branch, bare, work)
		pkg := filepath.Join(work, strings.TrimPrefix(filepath.Dir(branch), "proposed/"))
		require.NoError(t, testenv.ServerDryRun(context.Background(), cfg, testenv.KustomizeBuild(t, pkg)), branch)
	}
}

// TestDemoAgainstGitea runs `nephoran demo --forge gitea` against a real
// Gitea: the network is pushed to a new repository there and the two
// proposals arrive as two pull requests with their branches.
func TestDemoAgainstGitea(t *testing.T) {
	g := testenv.StartGitea(t)
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte(g.Token+"\n"), 0o600))
	var out bytes.Buffer
	require.NoError(t, Run(context.Background(), Options{Workdir: filepath.Join(t.TempDir(), "demo"), Out: &out,
		Forge: Forge{Kind: "gitea", URL: g.URL, TokenFile: token}}))
	report := out.String()
	require.Contains(t, report, "== 2 proposals", report)
	require.Contains(t, report, "== 2 pull requests on "+g.URL+"/"+g.User+"/nephoran-demo-", report)
	require.Contains(t, report, "(proposed/deploy/upf/", report)
	require.Contains(t, report, "(proposed/deploy/du/", report)
	require.NotContains(t, report, g.Token, "the token is never printed")

	var prs []struct {
		State string `json:"state"`
		Head  struct {
			Ref string `json:"ref"`
		} `json:"head"`
	}
	repo := strings.TrimSpace(report[strings.Index(report, "nephoran-demo-"):])
	repo = repo[:strings.IndexAny(repo, ": \n")]
	require.Equal(t, 200, g.API(t, "GET", "/repos/"+g.User+"/"+repo+"/pulls?state=all", nil, &prs))
	require.Len(t, prs, 2)
	for _, pr := range prs {
		require.Equal(t, "open", pr.State)
		require.True(t, strings.HasPrefix(pr.Head.Ref, "proposed/deploy/"), pr.Head.Ref)
	}
}
