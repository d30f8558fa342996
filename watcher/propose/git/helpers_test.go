package git_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/model"
	gitpropose "github.com/nephoran/nephoran/watcher/propose/git"
)

// repoName is the deployment repository every test seeds.
const repoName = "deployments"

// decidedAt is the decisions' time: the -at stamp and the commit time.
var decidedAt = time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)

// pkg is one package to seed: the blueprint it is copied from, the name its
// CNFDeployment (and Kptfile) get, and edits of cnf.yaml made before it is
// rendered.
type pkg struct {
	blueprint, name string
	edits           [][2]string
}

func upf(name string, edits ...[2]string) pkg { return pkg{"upf", name, edits} }

// writePackage writes the blueprint renamed and rendered (as `nephoran
// render` would) into dir/<name>.
func writePackage(t testing.TB, dir string, p pkg) {
	t.Helper()
	src := filepath.Join(testenv.RepoRoot(t), "blueprints", p.blueprint)
	dst := filepath.Join(dir, p.name)
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	edit(t, filepath.Join(dst, "Kptfile"), [2]string{"\n  name: " + p.blueprint + "\n", "\n  name: " + p.name + "\n"})
	edit(t, filepath.Join(dst, "cnf.yaml"), append([][2]string{{"\n  name: " + p.blueprint + "\n", "\n  name: " + p.name + "\n"}}, p.edits...)...)
	loaded, err := pipeline.Load(dst)
	require.NoError(t, err)
	_, err = loaded.Render()
	require.NoError(t, err)
	require.NoError(t, loaded.Write())
}

func edit(t testing.TB, file string, edits ...[2]string) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	s := string(b)
	for _, e := range edits {
		require.Contains(t, s, e[0], "%s", file)
		s = strings.Replace(s, e[0], e[1], 1)
	}
	require.NoError(t, os.WriteFile(file, []byte(s), 0o644))
}

// seed starts a git server whose deployments repository holds the packages
// under deploy/, plus a README at the root.
func seed(t testing.TB, pkgs ...pkg) *testenv.GitServer {
	t.Helper()
	s := testenv.StartGitServer(t)
	tree := t.TempDir()
	for _, p := range pkgs {
		writePackage(t, filepath.Join(tree, "deploy"), p)
	}
	require.NoError(t, os.WriteFile(filepath.Join(tree, "README.md"), []byte("# deployments\n"), 0o644))
	s.SeedRepo(t, repoName, tree, "")
	return s
}

// newProposer opens a proposer on the deployments repository with a fresh
// state directory unless o.Dir is set.
func newProposer(t testing.TB, s *testenv.GitServer, o gitpropose.Options) *gitpropose.Proposer {
	t.Helper()
	if o.URL == "" {
		o.URL = s.URL(repoName)
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Path == "" {
		o.Path = "deploy"
	}
	if o.Now == nil {
		o.Now = func() time.Time { return decidedAt }
	}
	p, err := gitpropose.New(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// decision is what decide makes for a rule firing on cnf: a deterministic
// id, a full CNFIntent with evidence.
func decision(cnf string, action nephv1.Action, id string, approval nephv1.Approval) model.Decision {
	reason := "PRB utilization 93% over 30s on gnb-001: scale out " + cnf
	in := &nephv1.CNFIntent{
		TypeMeta:   metav1.TypeMeta{APIVersion: nephv1.APIVersion, Kind: nephv1.KindCNFIntent},
		ObjectMeta: metav1.ObjectMeta{Name: cnf + "-" + strings.ReplaceAll(string(action), "_", "-") + "-" + id[:10]},
		Spec: nephv1.CNFIntentSpec{
			Target:        cnf,
			Action:        action,
			Reason:        reason,
			Source:        "scale-out-on-prb",
			CorrelationID: "gnb-001/2026-01-01T00:00:00Z",
			At:            decidedAt.Format(time.RFC3339),
			Evidence: map[string]json.RawMessage{
				"window":  json.RawMessage(`{"node":"gnb-001","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:30Z"}`),
				"metrics": json.RawMessage(`{"kpm.prb_utilization":0.93,"kpm.ue_count":120}`),
			},
		},
	}
	switch action {
	case nephv1.ActionScaleOut, nephv1.ActionScaleIn:
		in.Spec.Delta = 1
	case nephv1.ActionMigrate:
		in.Spec.Avoid = &nephv1.Avoid{Nodes: []string{"edge-1-node-7"}}
	}
	return model.Decision{
		ID: id, At: decidedAt, CNF: cnf, Action: action, Rule: "scale-out-on-prb", Reason: reason,
		CorrelationID: in.Spec.CorrelationID, Approval: approval, Intent: in,
	}
}

// clone checks out ref of the deployments repository into a fresh
// directory with the git CLI.
func clone(t testing.TB, s *testenv.GitServer, ref string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	testenv.Git(t, "", "clone", "--quiet", "--no-checkout", s.Dir(repoName), dir)
	testenv.Git(t, dir, "checkout", "--quiet", "--detach", ref)
	return dir
}

// branches lists the server's branches under prefix.
func branches(t testing.TB, s *testenv.GitServer, prefix string) []string {
	t.Helper()
	out := testenv.Git(t, s.Dir(repoName), "for-each-ref", "--format=%(refname:short)", "refs/heads/"+prefix)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// testLogger logs text to w, safe for concurrent use.
func testLogger(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
