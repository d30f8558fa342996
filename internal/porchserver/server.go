package porchserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// Porch's API group and version, and the resources served.
const (
	Group                    = "porch.kpt.dev"
	Version                  = "v1alpha1"
	APIVersion               = Group + "/" + Version
	PackageRevisions         = "packagerevisions"
	PackageRevisionResources = "packagerevisionresources"
	Approval                 = "approval"

	KindPackageRevision          = "PackageRevision"
	KindPackageRevisionResources = "PackageRevisionResources"

	// LatestRevisionLabel marks a package's latest Published revision.
	LatestRevisionLabel = "kpt.dev/latest-revision"
	// DefaultNamespace is where Publish seeds revisions.
	DefaultNamespace = "default"
)

// Lifecycles of a PackageRevision, in Porch's words.
const (
	Draft            = "Draft"
	Proposed         = "Proposed"
	Published        = "Published"
	DeletionProposed = "DeletionProposed"
)

// Hook is called before each API request is served (without the server's
// lock held): verb is the HTTP method, resource and sub the resource and
// subresource ("" when none), name the object's name ("" for lists and
// creates).
type Hook func(verb, namespace, resource, name, sub string)

// Server is the stand-in Porch API server.
type Server struct {
	srv *httptest.Server

	mu   sync.Mutex
	revs map[key]*revision
	rv   int64
	uid  int64
	hook Hook
	// latestIdx is the latest revision number per package, nil after a
	// change (see latest).
	latestIdx map[pkgKey]int64
	// renderFailure, when set, fails every render (FailRender).
	renderFailure string
	clock         func() metav1.Time
}

// Start serves a new, empty Porch API on 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := newServer()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("porchserver: listen: %v", err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s}}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func newServer() *Server {
	return &Server{revs: map[key]*revision{}, clock: metav1.Now}
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Config is a client-go configuration for the server.
func (s *Server) Config() *rest.Config {
	return &rest.Config{Host: s.srv.URL, QPS: 1000, Burst: 1000}
}

// SetHook installs h (nil removes it).
func (s *Server) SetHook(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// ServeHTTP routes discovery and the porch.kpt.dev resources.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.Trim(r.URL.Path, "/")
	switch p {
	case "api":
		writeJSON(w, http.StatusOK, &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
			Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
				{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host},
			},
		})
		return
	case "api/v1":
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: "v1", APIResources: []metav1.APIResource{},
		})
		return
	case "apis":
		gv := metav1.GroupVersionForDiscovery{GroupVersion: APIVersion, Version: Version}
		writeJSON(w, http.StatusOK, &metav1.APIGroupList{
			TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups:   []metav1.APIGroup{{Name: Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}},
		})
		return
	case "apis/" + Group:
		gv := metav1.GroupVersionForDiscovery{GroupVersion: APIVersion, Version: Version}
		writeJSON(w, http.StatusOK, &metav1.APIGroup{
			TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
			Name:     Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv,
		})
		return
	case "apis/" + APIVersion:
		writeJSON(w, http.StatusOK, discovery())
		return
	case "version":
		writeJSON(w, http.StatusOK, map[string]string{"major": "1", "minor": "34", "gitVersion": "v1.34.0-porchserver"})
		return
	}
	tail, ok := strings.CutPrefix(p, "apis/"+APIVersion+"/")
	if !ok {
		writeError(w, apierrors.NewNotFound(schema.GroupResource{}, p))
		return
	}
	parts := strings.Split(tail, "/")
	var ns string
	if parts[0] == "namespaces" {
		if len(parts) < 3 {
			writeError(w, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, ""))
			return
		}
		ns, parts = parts[1], parts[2:]
	}
	resource, name, sub := parts[0], "", ""
	if len(parts) > 1 {
		name = parts[1]
	}
	if len(parts) > 2 {
		sub = strings.Join(parts[2:], "/")
	}
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(r.Method, ns, resource, name, sub)
	}
	obj, code, err := s.serve(r, ns, resource, name, sub)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, code, obj)
}

// serve dispatches one resource request.
func (s *Server) serve(r *http.Request, ns, resource, name, sub string) (any, int, error) {
	gr := schema.GroupResource{Group: Group, Resource: resource}
	if resource != PackageRevisions && resource != PackageRevisionResources {
		return nil, 0, apierrors.NewNotFound(gr, name)
	}
	if sub != "" && (resource != PackageRevisions || sub != Approval) {
		return nil, 0, apierrors.NewNotFound(gr, name+"/"+sub)
	}
	if ns == "" && (name != "" || r.Method != http.MethodGet) {
		return nil, 0, apierrors.NewBadRequest("the namespace of the object is required")
	}
	body := func() (*unstructured.Unstructured, error) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("decode body: %v", err))
		}
		return u, nil
	}
	if r.Method == http.MethodPut && name != "" && resource == PackageRevisionResources {
		in, err := body()
		if err != nil {
			return nil, 0, err
		}
		out, err := s.updateResources(ns, name, in) // renders without the lock
		return out, http.StatusOK, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && name == "":
		return s.list(ns, resource, r.URL.Query().Get("labelSelector"), r.URL.Query().Get("fieldSelector"))
	case r.Method == http.MethodGet:
		rev, err := s.get(ns, resource, name)
		if err != nil {
			return nil, 0, err
		}
		if resource == PackageRevisionResources {
			return rev.resourcesObject(), http.StatusOK, nil
		}
		return s.revisionObject(rev), http.StatusOK, nil
	case r.Method == http.MethodPost && name == "" && resource == PackageRevisions:
		in, err := body()
		if err != nil {
			return nil, 0, err
		}
		out, err := s.create(ns, in)
		return out, http.StatusCreated, err
	case r.Method == http.MethodPut && name != "":
		in, err := body()
		if err != nil {
			return nil, 0, err
		}
		var out any
		switch {
		case sub == Approval:
			out, err = s.approve(ns, name, in)
		default:
			out, err = s.update(ns, name, in)
		}
		return out, http.StatusOK, err
	case r.Method == http.MethodDelete && name != "" && resource == PackageRevisions && sub == "":
		out, err := s.delete(ns, name)
		return out, http.StatusOK, err
	}
	return nil, 0, apierrors.NewMethodNotSupported(gr, strings.ToLower(r.Method))
}

func discovery() *metav1.APIResourceList {
	verbs := metav1.Verbs{"create", "delete", "get", "list", "update"}
	return &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: APIVersion,
		APIResources: []metav1.APIResource{
			{Name: PackageRevisions, SingularName: "packagerevision", Namespaced: true, Kind: KindPackageRevision, Verbs: verbs},
			{Name: PackageRevisions + "/" + Approval, Namespaced: true, Kind: KindPackageRevision, Verbs: metav1.Verbs{"get", "update"}},
			{Name: PackageRevisionResources, SingularName: "packagerevisionresources", Namespaced: true, Kind: KindPackageRevisionResources, Verbs: metav1.Verbs{"get", "list", "update"}},
		},
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, err error) {
	st, ok := err.(apierrors.APIStatus)
	if !ok {
		st = apierrors.NewInternalError(err)
	}
	status := st.Status()
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	code := int(status.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, &status)
}
