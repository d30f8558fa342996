package porchserver

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Revision is a stored PackageRevision as tests inspect it.
type Revision struct {
	Namespace, Name      string
	Repository, Package  string
	Workspace, Lifecycle string
	Revision             int64
	Latest               bool
	ResourceVersion      string
	Labels, Annotations  map[string]string
	Resources            map[string]string
	// RenderStatus is status.renderStatus as JSON (nil before the first
	// resources update).
	RenderStatus []byte
}

// Publish creates a Published revision of repository/packagePath in
// DefaultNamespace directly (workspace v<N>, revision N: the package's next
// revision, 1 for a new package; it becomes the latest) holding files
// unrendered, and returns its name. It panics on a name that is not a
// DNS-1123 subdomain or already exists: it is a test helper.
func (s *Server) Publish(repository, packagePath string, files map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.latest(DefaultNamespace, repository, packagePath) + 1
	ws := fmt.Sprintf("v%d", n)
	name := Name(repository, packagePath, ws)
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		panic(fmt.Sprintf("porchserver: Publish %s: %v", name, msgs))
	}
	if _, ok := s.revs[key{DefaultNamespace, name}]; ok {
		panic(fmt.Sprintf("porchserver: Publish %s: already exists", name))
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": APIVersion, "kind": KindPackageRevision,
		"metadata": map[string]any{"name": name, "namespace": DefaultNamespace},
		"spec": map[string]any{
			"packageName": packagePath, "repository": repository, "workspaceName": ws,
			"revision": n, "lifecycle": Published,
			"tasks": []any{map[string]any{"type": "init"}},
		},
		"status": map[string]any{"publishedBy": "porchserver", "publishedAt": s.clock().UTC().Format("2006-01-02T15:04:05Z")},
	}}
	s.uid++
	obj.SetUID(typesUID(s.uid))
	obj.SetCreationTimestamp(s.clock())
	res := make(map[string]string, len(files))
	for k, v := range files {
		res[k] = v
	}
	s.revs[key{DefaultNamespace, name}] = &revision{obj: obj, rv: s.nextRV(), resources: res}
	return name
}

// Revisions returns every stored revision, by namespace and name.
func (s *Server) Revisions() []Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Revision, 0, len(s.revs))
	for _, r := range s.revs {
		out = append(out, s.snapshot(r))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Get returns the revision namespace/name, ok false when there is none.
func (s *Server) Get(namespace, name string) (Revision, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.revs[key{namespace, name}]
	if !ok {
		return Revision{}, false
	}
	return s.snapshot(r), true
}

// Package returns the revisions of repository/packagePath in any
// namespace, by name.
func (s *Server) Package(repository, packagePath string) []Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Revision
	for _, r := range s.revs {
		if r.repo() == repository && r.pkg() == packagePath {
			out = append(out, s.snapshot(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Count is how many revisions of repository (any namespace) are in
// lifecycle, without copying them.
func (s *Server) Count(repository, lifecycle string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.revs {
		if r.repo() == repository && r.lifecycle() == lifecycle {
			n++
		}
	}
	return n
}

// snapshot copies r for a test; s.mu is held.
func (s *Server) snapshot(r *revision) Revision {
	u := s.revisionObject(r)
	res := make(map[string]string, len(r.resources))
	for k, v := range r.resources {
		res[k] = v
	}
	return Revision{
		Namespace: u.GetNamespace(), Name: u.GetName(), Repository: r.repo(), Package: r.pkg(),
		Workspace: r.workspace(), Lifecycle: r.lifecycle(), Revision: r.number(), Latest: s.isLatest(r),
		ResourceVersion: u.GetResourceVersion(), Labels: u.GetLabels(), Annotations: u.GetAnnotations(),
		Resources: res, RenderStatus: append([]byte(nil), r.renderStatus...),
	}
}

// Touch bumps the resourceVersion of a revision, as a concurrent writer
// would; it reports whether the revision exists.
func (s *Server) Touch(namespace, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.revs[key{namespace, name}]
	if ok {
		r.rv = s.nextRV()
	}
	return ok
}

// FailRender makes every later resources update fail to render with msg
// (as when Porch cannot run a function, e.g. cannot pull its image), or
// renders normally again when msg is empty.
func (s *Server) FailRender(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renderFailure = msg
}
