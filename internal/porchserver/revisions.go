package porchserver

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type key struct{ ns, name string }

// revision is one stored PackageRevision: the object as last written
// (without the computed latest-revision label) and its resources.
type revision struct {
	obj          *unstructured.Unstructured
	rv           int64
	resources    map[string]string
	renderStatus []byte // JSON; nil until the resources were first updated
	// ids caches spec.repository, spec.packageName and spec.workspaceName,
	// which never change after create (the list reads them for every
	// revision).
	ids *[3]string
}

func (r *revision) str(f ...string) string {
	v, _, _ := unstructured.NestedString(r.obj.Object, f...)
	return v
}
func (r *revision) idFields() *[3]string {
	if r.ids == nil {
		r.ids = &[3]string{r.str("spec", "repository"), r.str("spec", "packageName"), r.str("spec", "workspaceName")}
	}
	return r.ids
}
func (r *revision) repo() string      { return r.idFields()[0] }
func (r *revision) pkg() string       { return r.idFields()[1] }
func (r *revision) workspace() string { return r.idFields()[2] }
func (r *revision) lifecycle() string { return lifecycleOf(r.obj) }
func (r *revision) number() int64     { return revisionNumber(r.obj) }
func (r *revision) published() bool {
	lc := r.lifecycle()
	return lc == Published || lc == DeletionProposed
}

func lifecycleOf(u *unstructured.Unstructured) string {
	lc, _, _ := unstructured.NestedString(u.Object, "spec", "lifecycle")
	if lc == "" {
		return Draft
	}
	return lc
}

// revisionNumber reads spec.revision as an integer or a string "v<N>"
// (older Porch releases); 0 when absent or unreadable.
func revisionNumber(u *unstructured.Unstructured) int64 {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "revision")
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case string:
		i, _ := strconv.ParseInt(strings.TrimPrefix(n, "v"), 10, 64)
		return i
	}
	return 0
}

// Name is the object name Porch gives a revision.
func Name(repository, packagePath, workspace string) string {
	return repository + "." + strings.ReplaceAll(packagePath, "/", ".") + "." + workspace
}

var (
	grRevisions = schema.GroupResource{Group: Group, Resource: PackageRevisions}
	gkRevision  = schema.GroupKind{Group: Group, Kind: KindPackageRevision}
)

func (s *Server) get(ns, resource, name string) (*revision, error) {
	r, ok := s.revs[key{ns, name}]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: Group, Resource: resource}, name)
	}
	return r, nil
}

// nextRV is the resourceVersion of a change; every change takes one, so it
// also drops the latest-revision index.
func (s *Server) nextRV() int64 { s.rv++; s.latestIdx = nil; return s.rv }

// latest is the highest revision number among the Published (and
// DeletionProposed) revisions of a package.
// It reads an index built on first use after a change (s.mu is held).
func (s *Server) latest(ns, repo, pkg string) int64 {
	if s.latestIdx == nil {
		s.latestIdx = map[pkgKey]int64{}
		for k, r := range s.revs {
			if r.published() {
				pk := pkgKey{k.ns, r.repo(), r.pkg()}
				s.latestIdx[pk] = max(s.latestIdx[pk], r.number())
			}
		}
	}
	return s.latestIdx[pkgKey{ns, repo, pkg}]
}

// pkgKey names a package in a namespace.
type pkgKey struct{ ns, repo, pkg string }

func (s *Server) isLatest(r *revision) bool {
	return r.published() && r.number() > 0 && r.number() == s.latest(r.obj.GetNamespace(), r.repo(), r.pkg())
}

// revisionObject is r as served: its resourceVersion and computed label.
func (s *Server) revisionObject(r *revision) *unstructured.Unstructured {
	u := r.obj.DeepCopy()
	u.SetResourceVersion(strconv.FormatInt(r.rv, 10))
	l := u.GetLabels()
	delete(l, LatestRevisionLabel)
	if s.isLatest(r) {
		if l == nil {
			l = map[string]string{}
		}
		l[LatestRevisionLabel] = "true"
	}
	if len(l) == 0 {
		l = nil
	}
	u.SetLabels(l)
	return u
}

func invalid(name string, errs ...*field.Error) error {
	return apierrors.NewInvalid(gkRevision, name, errs)
}

// checkUpdate checks the name and resourceVersion of an update.
func checkUpdate(gr schema.GroupResource, gk schema.GroupKind, r *revision, name string, in *unstructured.Unstructured) error {
	if in.GetName() != "" && in.GetName() != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", in.GetName(), name))
	}
	switch in.GetResourceVersion() {
	case "":
		return apierrors.NewInvalid(gk, name, field.ErrorList{field.Invalid(field.NewPath("metadata", "resourceVersion"), "", "must be specified for an update")})
	case strconv.FormatInt(r.rv, 10):
		return nil
	}
	return apierrors.NewConflict(gr, name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
}

func (s *Server) create(ns string, in *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	spec := field.NewPath("spec")
	pkg, _, _ := unstructured.NestedString(in.Object, "spec", "packageName")
	repo, _, _ := unstructured.NestedString(in.Object, "spec", "repository")
	ws, _, _ := unstructured.NestedString(in.Object, "spec", "workspaceName")
	var errs field.ErrorList
	if in.GetKind() != KindPackageRevision {
		errs = append(errs, field.Invalid(field.NewPath("kind"), in.GetKind(), "must be "+KindPackageRevision))
	}
	for f, v := range map[string]string{"packageName": pkg, "repository": repo, "workspaceName": ws} {
		if v == "" {
			errs = append(errs, field.Required(spec.Child(f), ""))
		}
	}
	if lc, _, _ := unstructured.NestedString(in.Object, "spec", "lifecycle"); lc != "" && lc != Draft {
		errs = append(errs, field.NotSupported(spec.Child("lifecycle"), lc, []string{Draft}))
	}
	tasks, _, _ := unstructured.NestedSlice(in.Object, "spec", "tasks")
	if len(tasks) != 1 {
		errs = append(errs, field.Invalid(spec.Child("tasks"), len(tasks), "exactly one task (init, clone, copy or edit) is required"))
	}
	name := Name(repo, pkg, ws)
	if len(errs) == 0 {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), name, msg))
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return nil, invalid(name, errs...)
	}
	resources, err := s.taskResources(ns, name, repo, pkg, tasks[0])
	if err != nil {
		return nil, err
	}
	for k, r := range s.revs {
		if k.ns == ns && (k.name == name || (r.repo() == repo && r.pkg() == pkg && r.workspace() == ws)) {
			return nil, apierrors.NewAlreadyExists(grRevisions, name)
		}
	}
	obj := in.DeepCopy()
	obj.SetName(name)
	obj.SetGenerateName("")
	obj.SetNamespace(ns)
	s.uid++
	obj.SetUID(typesUID(s.uid))
	obj.SetCreationTimestamp(s.clock())
	l := obj.GetLabels()
	delete(l, LatestRevisionLabel)
	obj.SetLabels(l)
	_ = unstructured.SetNestedField(obj.Object, Draft, "spec", "lifecycle")
	_ = unstructured.SetNestedField(obj.Object, int64(0), "spec", "revision")
	obj.Object["status"] = map[string]any{}
	r := &revision{obj: obj, rv: s.nextRV(), resources: resources}
	s.revs[key{ns, name}] = r
	return s.revisionObject(r), nil
}

// taskResources are the files a new Draft starts with.
func (s *Server) taskResources(ns, name, repo, pkg string, task any) (map[string]string, error) {
	p := field.NewPath("spec", "tasks").Index(0)
	t, _ := task.(map[string]any)
	typ, _, _ := unstructured.NestedString(t, "type")
	var src []string
	samePackage := true
	switch typ {
	case "init":
		base := pkg[strings.LastIndex(pkg, "/")+1:]
		return map[string]string{"Kptfile": "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: " + base +
			"\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"}, nil
	case "edit", "copy":
		src = []string{typ, "sourceRef", "name"}
	case "clone":
		src, samePackage = []string{"clone", "upstreamRef", "upstreamRef", "name"}, false
	default:
		return nil, invalid(name, field.NotSupported(p.Child("type"), typ, []string{"init", "clone", "copy", "edit"}))
	}
	srcName, _, _ := unstructured.NestedString(t, src...)
	srcPath := p
	for _, f := range src {
		srcPath = srcPath.Child(f)
	}
	if srcName == "" {
		return nil, invalid(name, field.Required(srcPath, "the source PackageRevision"))
	}
	sr, ok := s.revs[key{ns, srcName}]
	switch {
	case !ok:
		return nil, invalid(name, field.NotFound(srcPath, srcName))
	case !sr.published():
		return nil, invalid(name, field.Invalid(srcPath, srcName, "the source must be Published, it is "+sr.lifecycle()))
	case samePackage && (sr.repo() != repo || sr.pkg() != pkg):
		return nil, invalid(name, field.Invalid(srcPath, srcName, fmt.Sprintf("the source is a revision of %s/%s, not of %s/%s", sr.repo(), sr.pkg(), repo, pkg)))
	}
	out := make(map[string]string, len(sr.resources))
	for k, v := range sr.resources {
		out[k] = v
	}
	return out, nil
}

// mergeSpec applies the spec fields of in over r's: lifecycle freely
// (checked by the caller), the others only when unchanged unless mutable.
func mergeSpec(r *revision, in *unstructured.Unstructured, mutable map[string]bool) (map[string]any, field.ErrorList) {
	old, _, _ := unstructured.NestedMap(r.obj.Object, "spec")
	next, _, _ := unstructured.NestedMap(in.Object, "spec")
	out := map[string]any{}
	for k, v := range old {
		out[k] = v
	}
	var errs field.ErrorList
	for k, v := range next {
		if k == "lifecycle" || mutable[k] {
			out[k] = v
			continue
		}
		if ov, ok := old[k]; !ok || !reflect.DeepEqual(normalize(ov), normalize(v)) {
			errs = append(errs, field.Forbidden(field.NewPath("spec", k), "field is immutable"))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return out, errs
}

// normalize makes numbers comparable across JSON round trips.
func normalize(v any) any {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case map[string]any:
		m := make(map[string]any, len(n))
		for k, e := range n {
			m[k] = normalize(e)
		}
		return m
	case []any:
		s := make([]any, len(n))
		for i, e := range n {
			s[i] = normalize(e)
		}
		return s
	}
	return v
}

// gatesOpen lists the readiness gates of obj whose condition is not True.
func gatesOpen(spec map[string]any, status map[string]any) []string {
	gates, _, _ := unstructured.NestedSlice(spec, "readinessGates")
	conds, _, _ := unstructured.NestedSlice(status, "conditions")
	var open []string
	for _, g := range gates {
		gm, _ := g.(map[string]any)
		ct, _, _ := unstructured.NestedString(gm, "conditionType")
		ok := false
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if t, _, _ := unstructured.NestedString(cm, "type"); t == ct {
				st, _, _ := unstructured.NestedString(cm, "status")
				ok = st == "True"
			}
		}
		if !ok {
			open = append(open, ct)
		}
	}
	return open
}

func (s *Server) update(ns, name string, in *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := s.get(ns, PackageRevisions, name)
	if err != nil {
		return nil, err
	}
	if err := checkUpdate(grRevisions, gkRevision, r, name, in); err != nil {
		return nil, err
	}
	from, to := r.lifecycle(), lifecycleOf(in)
	lc := field.NewPath("spec", "lifecycle")
	var mutable map[string]bool
	switch from {
	case Draft, Proposed:
		if to != Draft && to != Proposed {
			return nil, invalid(name, field.Forbidden(lc, fmt.Sprintf("package with %s lifecycle value can only be updated to 'Proposed' or 'Draft' (publish through the approval subresource)", from)))
		}
		mutable = map[string]bool{"readinessGates": true}
	default:
		if to != Published && to != DeletionProposed {
			return nil, invalid(name, field.Forbidden(lc, fmt.Sprintf("package with %s lifecycle value can only be updated to 'Published' or 'DeletionProposed'", from)))
		}
	}
	spec, errs := mergeSpec(r, in, mutable)
	if len(errs) > 0 {
		return nil, invalid(name, errs...)
	}
	status, _, _ := unstructured.NestedMap(r.obj.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	if conds, ok, _ := unstructured.NestedSlice(in.Object, "status", "conditions"); ok {
		status["conditions"] = conds
	}
	if to == Proposed && from != Proposed {
		if open := gatesOpen(spec, status); len(open) > 0 {
			return nil, invalid(name, field.Forbidden(lc, "readiness conditions not met: "+strings.Join(open, ", ")))
		}
	}
	obj := r.obj.DeepCopy()
	obj.SetLabels(in.GetLabels())
	obj.SetAnnotations(in.GetAnnotations())
	obj.Object["spec"] = spec
	obj.Object["status"] = status
	r.obj, r.rv = obj, s.nextRV()
	return s.revisionObject(r), nil
}

func (s *Server) approve(ns, name string, in *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := s.get(ns, PackageRevisions, name)
	if err != nil {
		return nil, err
	}
	if err := checkUpdate(grRevisions, gkRevision, r, name, in); err != nil {
		return nil, err
	}
	from, to := r.lifecycle(), lifecycleOf(in)
	lc := field.NewPath("spec", "lifecycle")
	obj := r.obj.DeepCopy()
	switch {
	case from == Proposed && to == Published:
		spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
		status, _, _ := unstructured.NestedMap(obj.Object, "status")
		if open := gatesOpen(spec, status); len(open) > 0 {
			return nil, invalid(name, field.Forbidden(lc, "cannot publish: readiness conditions not met: "+strings.Join(open, ", ")))
		}
		_ = unstructured.SetNestedField(obj.Object, s.latest(ns, r.repo(), r.pkg())+1, "spec", "revision")
		_ = unstructured.SetNestedField(obj.Object, s.clock().UTC().Format("2006-01-02T15:04:05Z"), "status", "publishedAt")
		_ = unstructured.SetNestedField(obj.Object, "porchserver", "status", "publishedBy")
	case from == Proposed && to == Draft, from == DeletionProposed && to == Published:
	default:
		return nil, invalid(name, field.Invalid(lc, to, fmt.Sprintf("cannot change approval from %s to %s", from, to)))
	}
	_ = unstructured.SetNestedField(obj.Object, to, "spec", "lifecycle")
	r.obj, r.rv = obj, s.nextRV()
	return s.revisionObject(r), nil
}

func (s *Server) delete(ns, name string) (*metav1.Status, error) {
	r, err := s.get(ns, PackageRevisions, name)
	if err != nil {
		return nil, err
	}
	if r.lifecycle() == Published {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot delete a package revision with lifecycle %s: propose its deletion first (DeletionProposed)", Published))
	}
	delete(s.revs, key{ns, name})
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess, Code: http.StatusOK,
		Details: &metav1.StatusDetails{Name: name, Group: Group, Kind: PackageRevisions, UID: r.obj.GetUID()},
	}, nil
}

func (s *Server) list(ns, resource, labelSel, fieldSel string) (any, int, error) {
	ls, err := labels.Parse(labelSel)
	if err != nil {
		return nil, 0, apierrors.NewBadRequest(fmt.Sprintf("labelSelector: %v", err))
	}
	fs, err := fields.ParseSelector(fieldSel)
	if err != nil {
		return nil, 0, apierrors.NewBadRequest(fmt.Sprintf("fieldSelector: %v", err))
	}
	known := map[string]bool{"metadata.name": true, "metadata.namespace": true, "spec.packageName": true,
		"spec.repository": true, "spec.workspaceName": true, "spec.lifecycle": true}
	for _, req := range fs.Requirements() {
		if !known[req.Field] {
			return nil, 0, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
		}
	}
	var keys []key
	for k := range s.revs {
		if ns == "" || k.ns == ns {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ns != keys[j].ns {
			return keys[i].ns < keys[j].ns
		}
		return keys[i].name < keys[j].name
	})
	items := []any{}
	for _, k := range keys {
		r := s.revs[k]
		f := fields.Set{"metadata.name": k.name, "metadata.namespace": k.ns, "spec.packageName": r.pkg(),
			"spec.repository": r.repo(), "spec.workspaceName": r.workspace(), "spec.lifecycle": r.lifecycle()}
		if !fs.Matches(f) {
			continue
		}
		obj := s.revisionObject(r)
		if !ls.Matches(labels.Set(obj.GetLabels())) {
			continue
		}
		if resource == PackageRevisionResources {
			items = append(items, r.resourcesObject())
		} else {
			items = append(items, obj.Object)
		}
	}
	kind := KindPackageRevision + "List"
	if resource == PackageRevisionResources {
		kind = KindPackageRevisionResources + "List"
	}
	return map[string]any{
		"apiVersion": APIVersion, "kind": kind,
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(s.rv, 10)},
		"items":    items,
	}, http.StatusOK, nil
}
