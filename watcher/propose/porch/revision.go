package porch

import (
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// Lifecycle is a PackageRevision's spec.lifecycle, in Porch's words.
type Lifecycle string

// The lifecycles of a PackageRevision.
const (
	Draft            Lifecycle = "Draft"
	Proposed         Lifecycle = "Proposed"
	Published        Lifecycle = "Published"
	DeletionProposed Lifecycle = "DeletionProposed"
)

// LatestRevisionLabel marks a package's latest Published revision.
const LatestRevisionLabel = "kpt.dev/latest-revision"

// Annotations a proposal's PackageRevision carries: what the git backend
// keeps in commit trailers.
const (
	AnnotationDecisionID    = nephv1.Group + "/decision-id"
	AnnotationCNF           = nephv1.Group + "/cnf"
	AnnotationAction        = nephv1.Group + "/action"
	AnnotationRule          = nephv1.Group + "/rule"
	AnnotationCorrelationID = nephv1.Group + "/correlation-id"
	AnnotationProposedAt    = nephv1.Group + "/proposed-at"
)

var (
	revisionsGVR = schema.GroupVersionResource{Group: "porch.kpt.dev", Version: "v1alpha1", Resource: "packagerevisions"}
	resourcesGVR = schema.GroupVersionResource{Group: "porch.kpt.dev", Version: "v1alpha1", Resource: "packagerevisionresources"}
)

// decisionID is what a decision id looks like: a proposal's workspace name.
var decisionID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// revisionName is the name Porch gives a revision.
func revisionName(repository, pkg, workspace string) string {
	return repository + "." + strings.ReplaceAll(pkg, "/", ".") + "." + workspace
}

// rev reads a PackageRevision's fields.
type rev struct{ *unstructured.Unstructured }

func (r rev) spec(f string) string {
	v, _, _ := unstructured.NestedString(r.Object, "spec", f)
	return v
}
func (r rev) pkg() string       { return r.spec("packageName") }
func (r rev) repo() string      { return r.spec("repository") }
func (r rev) workspace() string { return r.spec("workspaceName") }
func (r rev) lifecycle() Lifecycle {
	if lc := r.spec("lifecycle"); lc != "" {
		return Lifecycle(lc)
	}
	return Draft
}

// number is spec.revision: an integer (Porch >= v1.4) or a string "v<N>"
// (older releases); 0 when absent or unreadable.
func (r rev) number() int64 {
	v, _, _ := unstructured.NestedFieldNoCopy(r.Object, "spec", "revision")
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

// latestPublished is the package's latest Published revision: the one
// labelled latest, else the highest revision; nil when none is.
func latestPublished(revs []rev) *rev {
	var best *rev
	for i, r := range revs {
		if r.lifecycle() != Published {
			continue
		}
		if r.GetLabels()[LatestRevisionLabel] == "true" {
			return &revs[i]
		}
		if best == nil || r.number() > best.number() {
			best = &revs[i]
		}
	}
	return best
}

func setLifecycle(u *unstructured.Unstructured, lc Lifecycle) {
	_ = unstructured.SetNestedField(u.Object, string(lc), "spec", "lifecycle") // spec is a map on every revision read
}
