package v1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// DecodeCNFDeployment strictly decodes one CNFDeployment from YAML or JSON.
// The returned list names every unknown, duplicate or mistyped field; the
// object is nil when the list is not empty.
func DecodeCNFDeployment(data []byte) (*CNFDeployment, field.ErrorList) {
	return decodeBytes[CNFDeployment](data, checkQuantities)
}

// DecodeCNFIntent strictly decodes one CNFIntent from YAML or JSON.
func DecodeCNFIntent(data []byte) (*CNFIntent, field.ErrorList) {
	return decodeBytes[CNFIntent](data, nil)
}

// NodeToCNFDeployment is DecodeCNFDeployment for an already parsed node.
func NodeToCNFDeployment(n *yamlv3.Node) (*CNFDeployment, field.ErrorList) {
	var c CNFDeployment
	if errs := DecodeNode(n, &c, checkQuantities); len(errs) > 0 {
		return nil, errs
	}
	return &c, nil
}

// CNFDeploymentsIn strictly decodes every CNFDeployment document of a
// multi-document YAML file, other documents skipped. problems names each
// document that says it is a CNFDeployment and does not decode ("document
// N: ..."); err is set when the file is not YAML (the documents before it
// are returned).
func CNFDeploymentsIn(b []byte) (cnfs []*CNFDeployment, problems []string, err error) {
	if !bytes.Contains(b, []byte(KindCNFDeployment)) {
		return nil, nil, nil
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(b))
	for i := 1; ; i++ {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return cnfs, problems, nil
		} else if err != nil {
			return cnfs, problems, err
		}
		var head struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if doc.Decode(&head) != nil || head.Kind != KindCNFDeployment || head.APIVersion != APIVersion {
			continue
		}
		c, errs := NodeToCNFDeployment(&doc)
		if len(errs) > 0 {
			problems = append(problems, fmt.Sprintf("document %d: %v", i, errs.ToAggregate()))
			continue
		}
		cnfs = append(cnfs, c)
	}
}

// NodeToCNFIntent is DecodeCNFIntent for an already parsed node.
func NodeToCNFIntent(n *yamlv3.Node) (*CNFIntent, field.ErrorList) {
	var in CNFIntent
	if errs := DecodeNode(n, &in, nil); len(errs) > 0 {
		return nil, errs
	}
	return &in, nil
}

func decodeBytes[T any](data []byte, pre func(doc map[string]any) field.ErrorList) (*T, field.ErrorList) {
	var out T
	if errs := DecodeStrict(data, &out, pre); len(errs) > 0 {
		return nil, errs
	}
	return &out, nil
}

// DecodeStrict parses YAML (or JSON) and decodes it into out (any Go type
// with JSON tags, ours or k8s.io/api's) as DecodeNode does.
func DecodeStrict(data []byte, out any, pre func(doc map[string]any) field.ErrorList) field.ErrorList {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), field.OmitValueType{}, fmt.Sprintf("not valid YAML: %v", err))}
	}
	return DecodeNode(&doc, out, pre)
}

// DecodeNode decodes a parsed YAML node into out, rejecting unknown,
// duplicate and mistyped fields with their full paths. pre, when set, checks
// the generic document first so that errors a typed decode would report
// without a path (quantities) get one. It reads the node and never changes it.
func DecodeNode(n *yamlv3.Node, out any, pre func(doc map[string]any) field.ErrorList) field.ErrorList {
	// A generic decode keeps the last of duplicate keys silently, so the
	// strict JSON decode below never sees them: find them in the YAML itself.
	if errs := duplicateFields(n); len(errs) > 0 {
		return errs
	}
	var doc map[string]any
	if err := n.Decode(&doc); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), field.OmitValueType{}, fmt.Sprintf("not a YAML mapping: %v", err))}
	}
	if pre != nil {
		if errs := pre(doc); len(errs) > 0 {
			return errs
		}
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), field.OmitValueType{}, fmt.Sprintf("not representable as JSON: %v", err))}
	}
	strict, err := sigsjson.UnmarshalStrict(js, out)
	if err != nil {
		return field.ErrorList{decodeError(err)}
	}
	var errs field.ErrorList
	for _, e := range strict {
		errs = append(errs, strictError(e))
	}
	return errs
}

// duplicateFields reports every mapping key that appears twice, with its
// full path.
func duplicateFields(doc *yamlv3.Node) field.ErrorList {
	var errs field.ErrorList
	var walk func(n *yamlv3.Node, p *field.Path)
	walk = func(n *yamlv3.Node, p *field.Path) {
		switch n.Kind {
		case yamlv3.DocumentNode:
			for _, c := range n.Content {
				walk(c, p)
			}
		case yamlv3.MappingNode:
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				kp := field.NewPath(key)
				if p != nil {
					kp = p.Child(key)
				}
				if seen[key] {
					errs = append(errs, &field.Error{Type: field.ErrorTypeDuplicate, Field: kp.String(),
						BadValue: field.OmitValueType{}, Detail: fmt.Sprintf("field %q appears more than once: keep only one", kp.String())})
				}
				seen[key] = true
				walk(n.Content[i+1], kp)
			}
		case yamlv3.SequenceNode:
			if p == nil {
				return
			}
			for i, c := range n.Content {
				walk(c, p.Index(i))
			}
		}
	}
	walk(doc, nil)
	return errs
}

// decodeError turns a JSON decode error into a field error at its path.
func decodeError(err error) *field.Error {
	var fe interface{ FieldPath() string }
	if errors.As(err, &fe) {
		return field.Invalid(pathOf(fe.FieldPath()), field.OmitValueType{}, err.Error())
	}
	msg := err.Error()
	// encoding/json type errors read "... Go struct field T.spec.plmn.mcc of type string".
	if i := strings.Index(msg, "Go struct field "); i >= 0 {
		rest := msg[i+len("Go struct field "):]
		if j := strings.Index(rest, " of type "); j >= 0 {
			path := rest[:j]
			if k := strings.Index(path, "."); k >= 0 {
				path = path[k+1:]
			}
			typ := rest[j+len(" of type "):]
			hint := ""
			if typ == "string" {
				hint = ` (quote it: "001")`
			}
			return field.Invalid(pathOf(path), field.OmitValueType{}, fmt.Sprintf("must be of type %s%s", typ, hint))
		}
	}
	return field.Invalid(field.NewPath(""), nil, msg)
}

// strictError turns an unknown or duplicate field into a field error naming it.
func strictError(err error) *field.Error {
	var fe interface{ FieldPath() string }
	if errors.As(err, &fe) {
		msg := err.Error()
		switch {
		case strings.HasPrefix(msg, "unknown field"):
			return field.Forbidden(pathOf(fe.FieldPath()), fmt.Sprintf("unknown field %q", fe.FieldPath()))
		case strings.HasPrefix(msg, "duplicate field"):
			return field.Duplicate(pathOf(fe.FieldPath()), nil)
		}
		return field.Invalid(pathOf(fe.FieldPath()), nil, msg)
	}
	return field.Invalid(field.NewPath(""), nil, err.Error())
}

func pathOf(dotted string) *field.Path {
	parts := strings.Split(strings.Trim(dotted, "."), ".")
	p := field.NewPath(parts[0])
	for _, s := range parts[1:] {
		p = p.Child(s)
	}
	return p
}

// checkQuantities reports spec.resources entries that are not Kubernetes
// quantities, with the path of each.
func checkQuantities(doc map[string]any) field.ErrorList {
	spec, _ := doc["spec"].(map[string]any)
	res, _ := spec["resources"].(map[string]any)
	var errs field.ErrorList
	for _, part := range []string{"requests", "limits"} {
		m, _ := res[part].(map[string]any)
		for _, name := range sortedKeys(m) {
			p := field.NewPath("spec", "resources", part, name)
			switch v := m[name].(type) {
			case string:
				if _, err := resource.ParseQuantity(v); err != nil {
					errs = append(errs, field.Invalid(p, v, "must be a Kubernetes quantity such as 500m, 2 or 4Gi"))
				}
			case float64, int64, int:
			default:
				errs = append(errs, field.Invalid(p, v, "must be a Kubernetes quantity such as 500m, 2 or 4Gi"))
			}
		}
	}
	return errs
}
