package porchserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/nephoran/nephoran/pipeline"
)

var (
	grResources = schema.GroupResource{Group: Group, Resource: PackageRevisionResources}
	gkResources = schema.GroupKind{Group: Group, Kind: KindPackageRevisionResources}
)

func typesUID(n int64) types.UID { return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", n)) }

// resourcesObject is r's PackageRevisionResources as served.
func (r *revision) resourcesObject() map[string]any {
	res := make(map[string]any, len(r.resources))
	for k, v := range r.resources {
		res[k] = v
	}
	status := map[string]any{}
	if r.renderStatus != nil {
		status["renderStatus"] = json.RawMessage(r.renderStatus)
	}
	return map[string]any{
		"apiVersion": APIVersion,
		"kind":       KindPackageRevisionResources,
		"metadata": map[string]any{
			"name": r.obj.GetName(), "namespace": r.obj.GetNamespace(), "uid": string(r.obj.GetUID()),
			"resourceVersion":   strconv.FormatInt(r.rv, 10),
			"creationTimestamp": r.obj.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z"),
		},
		"spec": map[string]any{
			"packageName": r.pkg(), "repository": r.repo(), "workspaceName": r.workspace(),
			"revision": r.number(), "resources": res,
		},
		"status": status,
	}
}

// updateResources checks an update under the lock, renders without it (as
// Porch renders packages concurrently), and stores the result if nothing
// changed the revision meanwhile (else 409 Conflict, as a concurrent
// writer gets).
func (s *Server) updateResources(ns, name string, in *unstructured.Unstructured) (map[string]any, error) {
	s.mu.Lock()
	r, files, err := s.checkResources(ns, name, in)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	failure := s.renderFailure
	s.mu.Unlock()
	out, status := render(files, failure)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.revs[key{ns, name}]; !ok || cur != r || strconv.FormatInt(r.rv, 10) != in.GetResourceVersion() {
		return nil, apierrors.NewConflict(grResources, name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	r.resources, r.renderStatus, r.rv = out, status, s.nextRV()
	return r.resourcesObject(), nil
}

// checkResources checks an update of name's resources (s.mu held) and
// returns the revision and the files to render.
func (s *Server) checkResources(ns, name string, in *unstructured.Unstructured) (*revision, map[string]string, error) {
	r, err := s.get(ns, PackageRevisionResources, name)
	if err != nil {
		return nil, nil, err
	}
	if err := checkUpdate(grResources, gkResources, r, name, in); err != nil {
		return nil, nil, err
	}
	res := field.NewPath("spec", "resources")
	if lc := r.lifecycle(); lc != Draft {
		return nil, nil, apierrors.NewInvalid(gkResources, name, field.ErrorList{field.Forbidden(res,
			fmt.Sprintf("cannot update a package revision with lifecycle value %q; package must be Draft", lc))})
	}
	files, _, err := unstructured.NestedStringMap(in.Object, "spec", "resources")
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resources: %v", err))
	}
	for f := range files {
		if c := path.Clean(f); f == "" || c != f || path.IsAbs(f) || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(f, "\\") {
			return nil, nil, apierrors.NewInvalid(gkResources, name, field.ErrorList{field.Invalid(res.Key(f), f, "must be a clean relative path inside the package")})
		}
	}
	return r, files, nil
}

// functionResult is one item of a kpt FunctionResultList.
type functionResult struct {
	Image    string `json:"image"`
	ExitCode int    `json:"exitCode"`
	Results  any    `json:"results,omitempty"`
}

// render runs the package's Kptfile pipeline on files, as Porch does on
// every resources update: the rendered files, or files unchanged with the
// error when a function failed or the package could not be read. A
// non-empty failure fails it without running anything (FailRender).
func render(files map[string]string, failure string) (map[string]string, []byte) {
	var steps []pipeline.Step
	out, err := func() (map[string]string, error) {
		if failure != "" {
			return nil, errors.New(failure)
		}
		dir, err := os.MkdirTemp("", "porchserver-render-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := pipeline.WriteTree(dir, files); err != nil {
			return nil, err
		}
		pkg, err := pipeline.Load(dir)
		if err != nil {
			return nil, err
		}
		if steps, err = pkg.Render(); err != nil {
			return nil, err
		}
		if err := pkg.Write(); err != nil {
			return nil, err
		}
		return pipeline.ReadTree(dir)
	}()
	result := map[string]any{
		"apiVersion": "kpt.dev/v1", "kind": "FunctionResultList",
		"metadata": map[string]any{"name": "fnresults"},
	}
	items := []functionResult{}
	exit := 0
	for _, st := range steps {
		code := 0
		if st.Failed {
			code, exit = 1, 1
		}
		items = append(items, functionResult{Image: st.Function, ExitCode: code, Results: st.Results})
	}
	result["items"], result["exitCode"] = items, exit
	rs := map[string]any{"result": result, "error": ""}
	if err != nil {
		out = files
		if exit == 0 {
			result["exitCode"] = 1
		}
		rs["error"] = err.Error()
	}
	b, merr := json.Marshal(rs)
	if merr != nil {
		b = []byte(fmt.Sprintf(`{"error":%q}`, merr.Error()))
	}
	return out, b
}
