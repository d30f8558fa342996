// Package krm is how nephoran's API objects travel inside a kpt
// ResourceList: finding and strictly decoding them from items, and turning
// field errors into results that name the resource, file and field.
package krm

import (
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/parallel"
)

// GeneratedByAnnotation marks every object a nephoran function generated and
// therefore owns: the next render replaces or prunes it.
const GeneratedByAnnotation = nephv1.Group + "/generated-by"

// IsCNFDeployment selects CNFDeployment items.
func IsCNFDeployment(o *fn.KubeObject) bool {
	return o.IsGVK(nephv1.Group, nephv1.Version, nephv1.KindCNFDeployment)
}

// IsCNFIntent selects CNFIntent items.
func IsCNFIntent(o *fn.KubeObject) bool {
	return o.IsGVK(nephv1.Group, nephv1.Version, nephv1.KindCNFIntent)
}

// CNF is a decoded CNFDeployment together with the item it came from.
type CNF struct {
	Object *fn.KubeObject
	*nephv1.CNFDeployment
}

// DecodeCNFs strictly decodes and validates every CNFDeployment item. It
// returns error results for every problem; the CNFs are usable only when
// none of the results is an error.
func DecodeCNFs(items fn.KubeObjects) ([]CNF, fn.Results) {
	objs := items.Where(IsCNFDeployment)
	decoded := make([]CNF, len(objs))
	problems := make([]fn.Results, len(objs))
	_ = parallel.ForEach(len(objs), func(i int) error { // each object is its own: safe on every CPU
		o := objs[i]
		var c *nephv1.CNFDeployment
		var errs field.ErrorList
		WithNode(o, func(n *yaml.Node) { c, errs = nephv1.NodeToCNFDeployment(n) })
		if len(errs) == 0 {
			errs = c.Validate()
		}
		if len(errs) > 0 {
			problems[i] = FieldResults(o, errs, fn.Error)
			return nil
		}
		decoded[i] = CNF{Object: o, CNFDeployment: c}
		return nil
	})
	var cnfs []CNF
	var results fn.Results
	for i := range objs {
		if problems[i] != nil {
			results = append(results, problems[i]...)
		} else {
			cnfs = append(cnfs, decoded[i])
		}
	}
	return cnfs, results
}

// DecodeIntent strictly decodes and validates a CNFIntent functionConfig.
func DecodeIntent(o *fn.KubeObject) (*nephv1.CNFIntent, fn.Results) {
	var in *nephv1.CNFIntent
	var errs field.ErrorList
	WithNode(o, func(n *yaml.Node) { in, errs = nephv1.NodeToCNFIntent(n) })
	if len(errs) == 0 {
		errs = in.Validate()
	}
	if len(errs) > 0 {
		return nil, FieldResults(o, errs, fn.Error)
	}
	return in, nil
}

// WithNode lends the object's YAML node to f without copying or
// re-serializing it; f must not keep or change the node.
func WithNode(o *fn.KubeObject, f func(n *yaml.Node)) {
	rn := o.MoveToResourceNode()
	defer func() { *o = *fn.MoveToKubeObject(rn) }()
	f(rn.YNode())
}

// FieldResults turns field errors on one object into results carrying the
// object's reference, its file and the leaf field path.
func FieldResults(o *fn.KubeObject, errs field.ErrorList, sev fn.Severity) fn.Results {
	results := make(fn.Results, 0, len(errs))
	for _, e := range errs {
		results = append(results, ObjectResult(o, e.Field, e.Error(), sev))
	}
	return results
}

// ObjectResult is one result about a field of an object.
func ObjectResult(o *fn.KubeObject, fieldPath, msg string, sev fn.Severity) *fn.Result {
	r := fn.ConfigObjectResult(msg, o, sev)
	if fieldPath != "" {
		r.Field = &fn.Field{Path: fieldPath}
	}
	if r.File != nil && r.File.Path == "" {
		r.File = nil
	} else if r.File != nil && r.File.Index < 0 {
		r.File.Index = 0
	}
	return r
}

// HasErrors reports whether any result is an error.
func HasErrors(results fn.Results) bool {
	for _, r := range results {
		if r.Severity == fn.Error {
			return true
		}
	}
	return false
}
