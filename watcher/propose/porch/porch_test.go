package porch_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/porchserver"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
	porchpropose "github.com/nephoran/nephoran/watcher/propose/porch"
)

const (
	repoName = "deployments"
	id1      = "3f2a9c0d1e4b5a67"
)

var decidedAt = time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)

// upfFiles is the upf blueprint as the package of CNF name, rendered (as
// `nephoran render` would), with edits of cnf.yaml made before rendering.
func upfFiles(t *testing.T, name string, edits ...[2]string) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(testenv.RepoRoot(t), "blueprints", "upf"))))
	edit(t, filepath.Join(dir, "Kptfile"), [2]string{"\n  name: upf\n", "\n  name: " + name + "\n"})
	edit(t, filepath.Join(dir, "cnf.yaml"), append([][2]string{{"\n  name: upf\n", "\n  name: " + name + "\n"}}, edits...)...)
	pkg, err := pipeline.Load(dir)
	require.NoError(t, err)
	_, err = pkg.Render()
	require.NoError(t, err)
	require.NoError(t, pkg.Write())
	return testenv.Files(t, dir)
}

func edit(t *testing.T, file string, edits ...[2]string) {
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

// seed starts a Porch stand-in with upf-edge-1 and upf-edge-2 published
// as deploy/<name> of the deployments repository.
func seed(t *testing.T) (*porchserver.Server, map[string]string) {
	t.Helper()
	s := porchserver.Start(t)
	files := upfFiles(t, "upf-edge-1")
	s.Publish(repoName, "deploy/upf-edge-1", files)
	s.Publish(repoName, "deploy/upf-edge-2", upfFiles(t, "upf-edge-2"))
	return s, files
}

func newProposer(t *testing.T, s *porchserver.Server) *porchpropose.Proposer {
	t.Helper()
	p, err := porchpropose.New(porchpropose.Options{
		Config: s.Config(), Namespace: porchserver.DefaultNamespace, Repository: repoName,
		PackagePath: func(cnf string) string { return "deploy/" + cnf },
		Now:         func() time.Time { return decidedAt },
	})
	require.NoError(t, err)
	return p
}

// decision is what decide makes for a rule firing on cnf.
func decision(cnf string, action nephv1.Action, id string, approval nephv1.Approval) model.Decision {
	reason := "PRB utilization 93% over 30s on gnb-001: scale out " + cnf
	in := &nephv1.CNFIntent{
		TypeMeta:   metav1.TypeMeta{APIVersion: nephv1.APIVersion, Kind: nephv1.KindCNFIntent},
		ObjectMeta: metav1.ObjectMeta{Name: cnf + "-" + strings.ReplaceAll(string(action), "_", "-") + "-" + id[:10]},
		Spec: nephv1.CNFIntentSpec{
			Target: cnf, Action: action, Reason: reason, Source: "scale-out-on-prb", Delta: 1,
			CorrelationID: "gnb-001/2026-01-01T00:00:00Z", At: decidedAt.Format(time.RFC3339),
			Evidence: map[string]json.RawMessage{"metrics": json.RawMessage(`{"kpm.prb_utilization":0.93}`)},
		},
	}
	return model.Decision{
		ID: id, At: decidedAt, CNF: cnf, Action: action, Rule: "scale-out-on-prb", Reason: reason,
		CorrelationID: in.Spec.CorrelationID, Approval: approval, Intent: in,
	}
}

// byWorkspace returns the revisions of the workspace.
func byWorkspace(s *porchserver.Server, ws string) []porchserver.Revision {
	var out []porchserver.Revision
	for _, r := range s.Revisions() {
		if r.Workspace == ws {
			out = append(out, r)
		}
	}
	return out
}

// TestProposeMakesOneProposedRevision: the decision ends as one Proposed
// revision of the CNF's package named by its id, whose resources are the
// published package with the intent applied exactly as `nephoran intent`
// applies it (cnf.yaml and the Deployment at 3 replicas), and which
// carries the decision in its annotations.
func TestProposeMakesOneProposedRevision(t *testing.T) {
	s, published := seed(t)
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)
	prop, err := newProposer(t, s).Propose(context.Background(), d)
	require.NoError(t, err)
	name := "deployments.deploy.upf-edge-1." + id1
	require.Equal(t, propose.Proposal{ID: id1, CNF: "upf-edge-1", Action: nephv1.ActionScaleOut, Ref: name, At: decidedAt}, prop)

	revs := byWorkspace(s, id1)
	require.Len(t, revs, 1)
	r := revs[0]
	require.Equal(t, name, r.Name)
	require.Equal(t, porchserver.Proposed, r.Lifecycle)
	require.Equal(t, "deploy/upf-edge-1", r.Package)
	require.Contains(t, r.Resources["cnf.yaml"], "replicas: 3")
	require.Contains(t, r.Resources["deployment.yaml"], "replicas: 3")
	require.Contains(t, published["deployment.yaml"], "replicas: 2")

	want := t.TempDir()
	for f, c := range published {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(want, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(want, f), []byte(c), 0o644))
	}
	_, err = pipeline.ApplyIntent(want, d.Intent, decidedAt)
	require.NoError(t, err)
	require.Equal(t, testenv.Files(t, want), r.Resources)

	require.Equal(t, map[string]string{
		porchpropose.AnnotationDecisionID: id1, porchpropose.AnnotationCNF: "upf-edge-1",
		porchpropose.AnnotationAction: "scale_out", porchpropose.AnnotationRule: "scale-out-on-prb",
		porchpropose.AnnotationCorrelationID: "gnb-001/2026-01-01T00:00:00Z",
		porchpropose.AnnotationProposedAt:    "2026-01-01T00:00:30Z",
	}, r.Annotations)
	require.Len(t, s.Revisions(), 3, "only the proposal was added")
}

// TestRetriesFindTheProposal: a retry, and a second Proposer (another
// replica), return the first proposal with Existed set and make nothing.
func TestRetriesFindTheProposal(t *testing.T) {
	s, _ := seed(t)
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)
	first, err := newProposer(t, s).Propose(context.Background(), d)
	require.NoError(t, err)
	before := s.Revisions()
	for _, p := range []*porchpropose.Proposer{newProposer(t, s), newProposer(t, s)} {
		again, err := p.Propose(context.Background(), d)
		require.NoError(t, err)
		require.True(t, again.Existed)
		again.Existed = false
		require.Equal(t, first, again)
	}
	require.Equal(t, before, s.Revisions(), "nothing changed")
}

// TestResumesAnInterruptedDraft: a Draft for the decision left by a
// proposer that stopped after creating it is finished, not duplicated.
func TestResumesAnInterruptedDraft(t *testing.T) {
	s, _ := seed(t)
	dc, err := dynamic.NewForConfig(s.Config())
	require.NoError(t, err)
	gvr := schema.GroupVersionResource{Group: porchserver.Group, Version: porchserver.Version, Resource: porchserver.PackageRevisions}
	_, err = dc.Resource(gvr).Namespace(porchserver.DefaultNamespace).Create(context.Background(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": porchserver.APIVersion, "kind": porchserver.KindPackageRevision,
		"metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"packageName": "deploy/upf-edge-1", "repository": repoName, "workspaceName": id1,
			"tasks": []any{map[string]any{"type": "edit", "edit": map[string]any{"sourceRef": map[string]any{"name": "deployments.deploy.upf-edge-1.v1"}}}}},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	prop, err := newProposer(t, s).Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual))
	require.NoError(t, err)
	require.True(t, prop.Existed)
	revs := byWorkspace(s, id1)
	require.Len(t, revs, 1)
	require.Equal(t, porchserver.Proposed, revs[0].Lifecycle)
	require.Contains(t, revs[0].Resources["deployment.yaml"], "replicas: 3")
}

// TestAutoPublishes: an auto decision is approved: the revision is
// Published as revision 2 of the package and becomes the latest.
func TestAutoPublishes(t *testing.T) {
	s, _ := seed(t)
	prop, err := newProposer(t, s).Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, prop.Merged)
	revs := byWorkspace(s, id1)
	require.Len(t, revs, 1)
	require.Equal(t, porchserver.Published, revs[0].Lifecycle)
	require.Equal(t, int64(2), revs[0].Revision)
	require.True(t, revs[0].Latest)
}

// TestConflictsAreRetried: another writer touching the revision between
// each read and update (resources, lifecycle, approval) costs a retry, not
// the proposal.
func TestConflictsAreRetried(t *testing.T) {
	s, _ := seed(t)
	name := "deployments.deploy.upf-edge-1." + id1
	var conflicts, puts atomic.Int32
	s.SetHook(func(verb, ns, resource, n, sub string) {
		if verb != "PUT" || n != name {
			return
		}
		if puts.Add(1)%2 == 1 { // every first attempt meets a concurrent writer
			conflicts.Add(1)
			s.Touch(ns, n)
		}
	})
	prop, err := newProposer(t, s).Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, prop.Merged)
	require.Equal(t, int32(3), conflicts.Load(), "resources, Proposed and approval each conflicted once")
	require.Equal(t, int64(2), byWorkspace(s, id1)[0].Revision)
}

// TestPorchRenderErrorFailsTheProposal: when Porch's own render fails,
// Propose fails with ErrRefused (not ErrNoChange: the intent would change
// the package) and removes its Draft, so asking again starts afresh.
func TestPorchRenderErrorFailsTheProposal(t *testing.T) {
	s, _ := seed(t)
	p := newProposer(t, s)
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)
	s.FailRender("pull ghcr.io/nephoran/render-cnf:v0.1.0: denied")
	_, err := p.Propose(context.Background(), d)
	require.Error(t, err)
	require.NotErrorIs(t, err, propose.ErrNoChange)
	require.ErrorIs(t, err, propose.ErrRefused, "recorded, not retried by the worker")
	require.Contains(t, err.Error(), "denied")
	require.Empty(t, byWorkspace(s, id1), "the Draft was discarded")

	s.FailRender("")
	prop, err := p.Propose(context.Background(), d)
	require.NoError(t, err)
	require.False(t, prop.Existed)
}

// TestIntentsThatChangeNothing: an intent at a bound, or for a package
// with no Published revision, is ErrNoChange and leaves no revision.
func TestIntentsThatChangeNothing(t *testing.T) {
	for _, c := range []struct {
		name string
		cnf  string
	}{
		{"at maxReplicas", "upf-edge-3"},
		{"no such package", "upf-edge-9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := seed(t)
			s.Publish(repoName, "deploy/upf-edge-3", upfFiles(t, "upf-edge-3", [2]string{"replicas: 2", "replicas: 10"}))
			before := len(s.Revisions())
			_, err := newProposer(t, s).Propose(context.Background(), decision(c.cnf, nephv1.ActionScaleOut, id1, nephv1.ApprovalManual))
			require.ErrorIs(t, err, propose.ErrNoChange)
			require.Len(t, s.Revisions(), before)
		})
	}
}

// TestStateReadsTheInventoryAndOpenProposals: the inventory is the
// CNFDeployments of each package's latest Published revision; open are the
// Draft and Proposed revisions named by a decision id.
func TestStateReadsTheInventoryAndOpenProposals(t *testing.T) {
	s, _ := seed(t)
	p := newProposer(t, s)
	ctx := context.Background()
	_, err := p.Propose(ctx, decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual))
	require.NoError(t, err)
	st, err := p.State(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, st.Head)
	require.Len(t, st.CNFs, 2)
	for i, name := range []string{"upf-edge-1", "upf-edge-2"} {
		require.Equal(t, name, st.CNFs[i].Name)
		require.Equal(t, "deploy/"+name, st.CNFs[i].Package)
		require.Equal(t, int32(2), st.CNFs[i].Spec.Replicas)
	}
	require.Equal(t, []propose.Proposal{{ID: id1, CNF: "upf-edge-1", Action: nephv1.ActionScaleOut,
		Ref: "deployments.deploy.upf-edge-1." + id1, At: decidedAt}}, st.Open)

	const id2 = "0123456789abcdef"
	d2 := decision("upf-edge-2", nephv1.ActionScaleOut, id2, nephv1.ApprovalAuto)
	_, err = p.Propose(ctx, d2)
	require.NoError(t, err)
	st, err = p.State(ctx)
	require.NoError(t, err)
	require.Equal(t, int32(3), st.CNFs[1].Spec.Replicas, "the published revision is the inventory")
	require.Equal(t, d2.Intent.Name, st.CNFs[1].Annotations[nephv1.AnnotationLastIntentID])
	require.Len(t, st.Open, 1, "the published proposal is not open")
}

// TestStateFlagsRejectedProposalsAsDrafts: `porchctl rpkg reject` (the
// approval subresource, Proposed -> Draft) leaves the proposal open as a
// Draft; State says so.
func TestStateFlagsRejectedProposalsAsDrafts(t *testing.T) {
	s, _ := seed(t)
	p := newProposer(t, s)
	ctx := context.Background()
	prop, err := p.Propose(ctx, decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual))
	require.NoError(t, err)
	st, err := p.State(ctx)
	require.NoError(t, err)
	require.Len(t, st.Open, 1)
	require.Empty(t, st.Open[0].Rejection)

	dc, err := dynamic.NewForConfig(s.Config())
	require.NoError(t, err)
	revs := dc.Resource(schema.GroupVersionResource{Group: porchserver.Group, Version: porchserver.Version, Resource: porchserver.PackageRevisions}).
		Namespace(porchserver.DefaultNamespace)
	pr, err := revs.Get(ctx, prop.Ref, metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, unstructured.SetNestedField(pr.Object, porchserver.Draft, "spec", "lifecycle"))
	_, err = revs.Update(ctx, pr, metav1.UpdateOptions{}, porchserver.Approval)
	require.NoError(t, err)

	st, err = p.State(ctx)
	require.NoError(t, err)
	require.Len(t, st.Open, 1)
	require.Contains(t, st.Open[0].Rejection, "is a Draft")
	require.Equal(t, prop.Ref, st.Open[0].Ref)
}
