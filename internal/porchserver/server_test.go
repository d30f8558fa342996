package porchserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/nephoran/nephoran/internal/porchserver"
	"github.com/nephoran/nephoran/internal/testenv"
)

const (
	ns   = porchserver.DefaultNamespace
	repo = "deployments"
	pkg  = "deploy/upf-edge-1"
)

var (
	revisions = schema.GroupVersionResource{Group: porchserver.Group, Version: porchserver.Version, Resource: porchserver.PackageRevisions}
	resources = schema.GroupVersionResource{Group: porchserver.Group, Version: porchserver.Version, Resource: porchserver.PackageRevisionResources}
)

// env is a server seeded with the upf blueprint published as revision 1 of
// deployments/deploy/upf-edge-1, and a dynamic client on it.
type env struct {
	s  *porchserver.Server
	dc dynamic.Interface
	v1 string
}

func start(t *testing.T) *env {
	t.Helper()
	s := porchserver.Start(t)
	dc, err := dynamic.NewForConfig(s.Config())
	require.NoError(t, err)
	files := testenv.Files(t, filepath.Join(testenv.RepoRoot(t), "blueprints", "upf"))
	return &env{s: s, dc: dc, v1: s.Publish(repo, pkg, files)}
}

func newRevision(ws string, task map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": porchserver.APIVersion, "kind": porchserver.KindPackageRevision,
		"metadata": map[string]any{"name": "ignored", "namespace": ns},
		"spec": map[string]any{
			"packageName": pkg, "repository": repo, "workspaceName": ws, "lifecycle": porchserver.Draft,
			"tasks": []any{task},
		},
	}}
}

func editTask(src string) map[string]any {
	return map[string]any{"type": "edit", "edit": map[string]any{"sourceRef": map[string]any{"name": src}}}
}

func (e *env) create(t *testing.T, ws, src string) *unstructured.Unstructured {
	t.Helper()
	pr, err := e.dc.Resource(revisions).Namespace(ns).Create(context.Background(), newRevision(ws, editTask(src)), metav1.CreateOptions{})
	require.NoError(t, err)
	return pr
}

func (e *env) get(t *testing.T, gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := e.dc.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return u
}

func setLifecycle(u *unstructured.Unstructured, lc string) *unstructured.Unstructured {
	u = u.DeepCopy()
	_ = unstructured.SetNestedField(u.Object, lc, "spec", "lifecycle") // spec is a map in every caller
	return u
}

func (e *env) update(pr *unstructured.Unstructured, sub ...string) (*unstructured.Unstructured, error) {
	return e.dc.Resource(revisions).Namespace(ns).Update(context.Background(), pr, metav1.UpdateOptions{}, sub...)
}

func (e *env) propose(t *testing.T, pr *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	out, err := e.update(setLifecycle(pr, porchserver.Proposed))
	require.NoError(t, err)
	return out
}

// requireStatus checks err is a metav1.Status with the reason and code.
func requireStatus(t *testing.T, err error, reason metav1.StatusReason, code int32) {
	t.Helper()
	require.Error(t, err)
	var se *apierrors.StatusError
	require.ErrorAs(t, err, &se, "%v", err)
	require.Equal(t, reason, se.ErrStatus.Reason, "%v", err)
	require.Equal(t, code, se.ErrStatus.Code, "%v", err)
}

// TestDiscoveryMapsTheKinds: a discovery-backed REST mapper (what kubectl
// and controllers use) finds both kinds as namespaced resources.
func TestDiscoveryMapsTheKinds(t *testing.T) {
	s := porchserver.Start(t)
	dc, err := discovery.NewDiscoveryClientForConfig(s.Config())
	require.NoError(t, err)
	m := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	for kind, gvr := range map[string]schema.GroupVersionResource{
		porchserver.KindPackageRevision: revisions, porchserver.KindPackageRevisionResources: resources,
	} {
		mapping, err := m.RESTMapping(schema.GroupKind{Group: porchserver.Group, Kind: kind}, porchserver.Version)
		require.NoError(t, err, kind)
		require.Equal(t, gvr, mapping.Resource)
		require.Equal(t, "namespace", string(mapping.Scope.Name()))
	}
}

// TestTheLegalFlow: edit the published revision into a Draft named by the
// server, update its resources (rendered in process), propose, approve:
// the new revision is Published as revision 2 and carries the latest label,
// which the first revision loses.
func TestTheLegalFlow(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	pr := e.create(t, "ws1", e.v1)
	name := repo + ".deploy.upf-edge-1.ws1"
	require.Equal(t, name, pr.GetName(), "the server computes the name")
	require.Equal(t, porchserver.Draft, pr.Object["spec"].(map[string]any)["lifecycle"])

	prr := e.get(t, resources, name)
	files, _, err := unstructured.NestedStringMap(prr.Object, "spec", "resources")
	require.NoError(t, err)
	require.Contains(t, files["cnf.yaml"], "replicas: 2")
	files["cnf.yaml"] = strings.Replace(files["cnf.yaml"], "replicas: 2", "replicas: 3", 1)
	require.NoError(t, unstructured.SetNestedStringMap(prr.Object, files, "spec", "resources"))
	prr, err = e.dc.Resource(resources).Namespace(ns).Update(ctx, prr, metav1.UpdateOptions{})
	require.NoError(t, err)
	rendered, _, _ := unstructured.NestedStringMap(prr.Object, "spec", "resources")
	require.Contains(t, rendered["deployment.yaml"], "replicas: 3", "the pipeline re-rendered the Deployment")
	renderErr, _, _ := unstructured.NestedString(prr.Object, "status", "renderStatus", "error")
	require.Empty(t, renderErr)
	exit, _, _ := unstructured.NestedInt64(prr.Object, "status", "renderStatus", "result", "exitCode")
	require.Zero(t, exit)

	pr = e.propose(t, e.get(t, revisions, name))
	pr, err = e.update(setLifecycle(pr, porchserver.Published), porchserver.Approval)
	require.NoError(t, err)
	rev, _, _ := unstructured.NestedInt64(pr.Object, "spec", "revision")
	require.Equal(t, int64(2), rev)
	require.Equal(t, "true", pr.GetLabels()[porchserver.LatestRevisionLabel])

	list, err := e.dc.Resource(revisions).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: porchserver.LatestRevisionLabel + "=true"})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.Equal(t, name, list.Items[0].GetName(), "the latest label moved")
	require.NotContains(t, e.get(t, revisions, e.v1).GetLabels(), porchserver.LatestRevisionLabel)

	revs := e.s.Revisions()
	require.Len(t, revs, 2)
	require.Equal(t, rendered, revs[1].Resources)
}

// TestRejectionReturnsToDraft: the approval subresource may send a
// Proposed revision back to Draft, whose resources may be edited again.
func TestRejectionReturnsToDraft(t *testing.T) {
	e := start(t)
	pr := e.propose(t, e.create(t, "ws1", e.v1))
	pr, err := e.update(setLifecycle(pr, porchserver.Draft), porchserver.Approval)
	require.NoError(t, err)
	require.Equal(t, porchserver.Draft, pr.Object["spec"].(map[string]any)["lifecycle"])
	_, err = e.dc.Resource(resources).Namespace(ns).Update(context.Background(), e.get(t, resources, pr.GetName()), metav1.UpdateOptions{})
	require.NoError(t, err)
}

// TestRenderFailureKeepsTheSubmittedResources: a function failing is
// reported in status.renderStatus.error; the update succeeds and keeps
// what was sent, as Porch does.
func TestRenderFailureKeepsTheSubmittedResources(t *testing.T) {
	e := start(t)
	pr := e.create(t, "ws1", e.v1)
	prr := e.get(t, resources, pr.GetName())
	files, _, _ := unstructured.NestedStringMap(prr.Object, "spec", "resources")
	files["cnf.yaml"] = strings.Replace(files["cnf.yaml"], "replicas: 2", "replicas: 99", 1) // above maxReplicas
	require.NoError(t, unstructured.SetNestedStringMap(prr.Object, files, "spec", "resources"))
	prr, err := e.dc.Resource(resources).Namespace(ns).Update(context.Background(), prr, metav1.UpdateOptions{})
	require.NoError(t, err)
	msg, _, _ := unstructured.NestedString(prr.Object, "status", "renderStatus", "error")
	require.NotEmpty(t, msg)
	got, _, _ := unstructured.NestedStringMap(prr.Object, "spec", "resources")
	require.Equal(t, files, got)
	raw := e.s.Revisions()[1].RenderStatus
	var rs struct {
		Result struct {
			ExitCode int `json:"exitCode"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(raw, &rs))
	require.Equal(t, 1, rs.Result.ExitCode)
}

// TestIllegalRequestsAreRefused: every rule Porch enforces answers with
// its status reason and code.
func TestIllegalRequestsAreRefused(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		do     func(t *testing.T, e *env) error
		reason metav1.StatusReason
		code   int32
	}{
		{"Draft to Published through the main resource", func(t *testing.T, e *env) error {
			_, err := e.update(setLifecycle(e.create(t, "ws1", e.v1), porchserver.Published))
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"Proposed to Published through the main resource", func(t *testing.T, e *env) error {
			_, err := e.update(setLifecycle(e.propose(t, e.create(t, "ws1", e.v1)), porchserver.Published))
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"Draft approved directly", func(t *testing.T, e *env) error {
			_, err := e.update(setLifecycle(e.create(t, "ws1", e.v1), porchserver.Published), porchserver.Approval)
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"Published back to Draft", func(t *testing.T, e *env) error {
			_, err := e.update(setLifecycle(e.get(t, revisions, e.v1), porchserver.Draft))
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"resources of a Proposed revision", func(t *testing.T, e *env) error {
			pr := e.propose(t, e.create(t, "ws1", e.v1))
			_, err := e.dc.Resource(resources).Namespace(ns).Update(ctx, e.get(t, resources, pr.GetName()), metav1.UpdateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"resources of a Published revision", func(t *testing.T, e *env) error {
			_, err := e.dc.Resource(resources).Namespace(ns).Update(ctx, e.get(t, resources, e.v1), metav1.UpdateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"a second task", func(t *testing.T, e *env) error {
			pr := newRevision("ws1", editTask(e.v1))
			require.NoError(t, unstructured.SetNestedSlice(pr.Object, []any{editTask(e.v1), map[string]any{"type": "init"}}, "spec", "tasks"))
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, pr, metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"no task", func(t *testing.T, e *env) error {
			pr := newRevision("ws1", nil)
			unstructured.RemoveNestedField(pr.Object, "spec", "tasks")
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, pr, metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"no workspace name", func(t *testing.T, e *env) error {
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("", editTask(e.v1)), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"a workspace name that makes an invalid object name", func(t *testing.T, e *env) error {
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("WS_1", editTask(e.v1)), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"created Proposed", func(t *testing.T, e *env) error {
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, setLifecycle(newRevision("ws1", editTask(e.v1)), porchserver.Proposed), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"edit of a missing source", func(t *testing.T, e *env) error {
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("ws1", editTask("deployments.nope.v1")), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"edit of a Draft", func(t *testing.T, e *env) error {
			d := e.create(t, "ws1", e.v1)
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("ws2", editTask(d.GetName())), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"edit of another package", func(t *testing.T, e *env) error {
			other := e.s.Publish(repo, "deploy/upf-edge-2", map[string]string{"Kptfile": "x"})
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("ws1", editTask(other)), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"a duplicate workspace", func(t *testing.T, e *env) error {
			e.create(t, "ws1", e.v1)
			_, err := e.dc.Resource(revisions).Namespace(ns).Create(ctx, newRevision("ws1", editTask(e.v1)), metav1.CreateOptions{})
			return err
		}, metav1.StatusReasonAlreadyExists, http.StatusConflict},
		{"a stale resourceVersion on the revision", func(t *testing.T, e *env) error {
			pr := e.create(t, "ws1", e.v1)
			require.True(t, e.s.Touch(ns, pr.GetName()))
			_, err := e.update(setLifecycle(pr, porchserver.Proposed))
			return err
		}, metav1.StatusReasonConflict, http.StatusConflict},
		{"a stale resourceVersion on the resources", func(t *testing.T, e *env) error {
			pr := e.create(t, "ws1", e.v1)
			prr := e.get(t, resources, pr.GetName())
			require.True(t, e.s.Touch(ns, pr.GetName()))
			_, err := e.dc.Resource(resources).Namespace(ns).Update(ctx, prr, metav1.UpdateOptions{})
			return err
		}, metav1.StatusReasonConflict, http.StatusConflict},
		{"a stale resourceVersion on approval", func(t *testing.T, e *env) error {
			pr := e.propose(t, e.create(t, "ws1", e.v1))
			require.True(t, e.s.Touch(ns, pr.GetName()))
			_, err := e.update(setLifecycle(pr, porchserver.Published), porchserver.Approval)
			return err
		}, metav1.StatusReasonConflict, http.StatusConflict},
		{"an unmet readiness gate", func(t *testing.T, e *env) error {
			pr := e.create(t, "ws1", e.v1)
			require.NoError(t, unstructured.SetNestedSlice(pr.Object, []any{map[string]any{"conditionType": "nephoran.com/validated"}}, "spec", "readinessGates"))
			_, err := e.update(setLifecycle(pr, porchserver.Proposed))
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"a changed package name", func(t *testing.T, e *env) error {
			pr := e.create(t, "ws1", e.v1)
			require.NoError(t, unstructured.SetNestedField(pr.Object, "deploy/other", "spec", "packageName"))
			_, err := e.update(pr)
			return err
		}, metav1.StatusReasonInvalid, http.StatusUnprocessableEntity},
		{"deleting a Published revision", func(t *testing.T, e *env) error {
			return e.dc.Resource(revisions).Namespace(ns).Delete(ctx, e.v1, metav1.DeleteOptions{})
		}, metav1.StatusReasonBadRequest, http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireStatus(t, c.do(t, start(t)), c.reason, c.code)
		})
	}
}

// TestReadinessGateMetAllowsProposed: a gate whose condition is True does
// not hold the revision back.
func TestReadinessGateMetAllowsProposed(t *testing.T) {
	e := start(t)
	pr := e.create(t, "ws1", e.v1)
	require.NoError(t, unstructured.SetNestedSlice(pr.Object, []any{map[string]any{"conditionType": "nephoran.com/validated"}}, "spec", "readinessGates"))
	require.NoError(t, unstructured.SetNestedSlice(pr.Object, []any{map[string]any{"type": "nephoran.com/validated", "status": "True"}}, "status", "conditions"))
	e.propose(t, pr)
}

// TestDeleteDraftsAndProposedDeletions: a Draft may be deleted; a
// Published revision only after its deletion was proposed.
func TestDeleteDraftsAndProposedDeletions(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	d := e.create(t, "ws1", e.v1)
	require.NoError(t, e.dc.Resource(revisions).Namespace(ns).Delete(ctx, d.GetName(), metav1.DeleteOptions{}))
	_, err := e.update(setLifecycle(e.get(t, revisions, e.v1), porchserver.DeletionProposed))
	require.NoError(t, err)
	require.NoError(t, e.dc.Resource(revisions).Namespace(ns).Delete(ctx, e.v1, metav1.DeleteOptions{}))
	require.Empty(t, e.s.Revisions())
	_, err = e.dc.Resource(revisions).Namespace(ns).Get(ctx, e.v1, metav1.GetOptions{})
	requireStatus(t, err, metav1.StatusReasonNotFound, http.StatusNotFound)
}

// TestListFiltersByField: field selectors on the spec narrow a list.
func TestListFiltersByField(t *testing.T) {
	e := start(t)
	e.create(t, "ws1", e.v1)
	list, err := e.dc.Resource(revisions).Namespace(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "spec.workspaceName=ws1"})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	all, err := e.dc.Resource(revisions).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, all.Items, 2)
}
