package ves

// Fast accept path for strict-mode schema validation.
//
// Safety argument. fastValidator never refuses anything: accepts(value)
// returns true only when value is certainly valid against the embedded
// schema, and false ("don't know") in every other case. The caller
// (validator.check) skips the jsonschema library only on true; on false the
// library runs exactly as before and produces the refusal, so error bodies,
// codes and pointers are unchanged by construction. A wrong "true" is the
// only possible fault, and it is kept out by:
//
//   - implementing only the keywords the embedded schema uses, each exactly
//     as draft-04 defines it: type, $ref (to #/definitions/<name>, no
//     siblings), properties, additionalProperties (false, true or a schema),
//     required, items (single schema), enum (all-string), oneOf, and format;
//     format is not re-implemented: each format is checked by the library
//     itself against a one-keyword schema compiled with the same settings;
//   - treating every other keyword, and every keyword form not listed
//     (type arrays, tuple items, non-string enums, $ref with siblings or to
//     another place), as "unsure": a node holding one never says valid;
//   - ignoring only annotations (description, title, default, $schema,
//     definitions);
//   - integer: only a json.Number made of an optional minus and digits
//     counts as certainly an integer; fractions and exponents are unsure.
//
// Internally each check answers valid, invalid or unsure; "invalid" is
// needed only for oneOf (exactly one branch valid) and is claimed only on
// certain grounds: wrong JSON type, a missing required member, a member
// additionalProperties false forbids, a string outside an all-string enum,
// or a format the library rejects. TestFastPath*, FuzzFastPath and the
// mutation test check fast-valid => library-valid.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// verdict is a fast check's answer for one value.
type verdict uint8

const (
	unsure verdict = iota
	valid
	invalid
)

// fastValidator is the schema compiled to Go check nodes. It is immutable
// after newFastValidator and safe for concurrent use.
type fastValidator struct {
	root *fastNode
}

// fastNode is one schema object.
type fastNode struct {
	// unsure is set when the schema object uses a keyword or form not
	// implemented here: the node never answers valid.
	unsure bool
	// ref, when set, is the whole node (draft-04 $ref, no siblings).
	ref *fastNode
	// typ is the "type" keyword, "" when absent.
	typ string
	// enum is an all-string "enum", nil when absent.
	enum map[string]bool
	// format is a one-keyword schema {"format": ...} compiled by the library.
	format *jsonschema.Schema
	// required, properties, additionalProperties: apply to objects only.
	required   []string
	properties map[string]*fastNode
	// addlFalse is "additionalProperties": false; addl is its schema form.
	addlFalse bool
	addl      *fastNode
	// items is the single-schema "items"; applies to arrays only.
	items *fastNode
	// oneOf lists the branches, nil when absent.
	oneOf []*fastNode
}

// fastCompiler builds nodes from the schema document.
type fastCompiler struct {
	doc     map[string]any
	defs    map[string]*fastNode // by definition name, for $ref and cycles
	formats map[string]*jsonschema.Schema
}

// newFastValidator compiles the schema document doc (as decoded by
// jsonschema.UnmarshalJSON).
func newFastValidator(doc any) (*fastValidator, error) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fast path: schema is not an object")
	}
	c := &fastCompiler{doc: m, defs: map[string]*fastNode{}, formats: map[string]*jsonschema.Schema{}}
	root, err := c.node(m)
	if err != nil {
		return nil, err
	}
	return &fastValidator{root: root}, nil
}

// annotations are keywords that do not affect validation.
var annotations = map[string]bool{
	"description": true, "title": true, "default": true, "$schema": true, "definitions": true,
}

func (c *fastCompiler) node(s any) (*fastNode, error) {
	m, ok := s.(map[string]any)
	if !ok {
		return &fastNode{unsure: true}, nil
	}
	n := &fastNode{}
	if r, ok := m["$ref"]; ok {
		for k := range m {
			if k != "$ref" && !annotations[k] {
				return &fastNode{unsure: true}, nil
			}
		}
		ref, ok := r.(string)
		name, found := strings.CutPrefix(ref, "#/definitions/")
		if !ok || !found || strings.ContainsAny(name, "/~%") {
			return &fastNode{unsure: true}, nil
		}
		target, err := c.definition(name)
		if err != nil {
			return nil, err
		}
		n.ref = target
		return n, nil
	}
	if err := c.fill(n, m); err != nil {
		return nil, err
	}
	return n, nil
}

// definition returns the node of #/definitions/name, compiling it once;
// the node is registered before its body is filled so cycles terminate.
func (c *fastCompiler) definition(name string) (*fastNode, error) {
	if n, ok := c.defs[name]; ok {
		return n, nil
	}
	defs, _ := c.doc["definitions"].(map[string]any)
	d, ok := defs[name].(map[string]any)
	if !ok {
		return &fastNode{unsure: true}, nil
	}
	if _, isRef := d["$ref"]; isRef {
		// A definition that is only a reference (none in the VES schema):
		// not followed, so reference loops cannot arise.
		return &fastNode{unsure: true}, nil
	}
	n := &fastNode{}
	c.defs[name] = n
	if err := c.fill(n, d); err != nil {
		return nil, err
	}
	return n, nil
}

// fill compiles the keywords of a schema object without $ref.
func (c *fastCompiler) fill(n *fastNode, m map[string]any) error {
	for k, v := range m {
		if annotations[k] {
			continue
		}
		var err error
		switch k {
		case "type":
			t, ok := v.(string)
			switch {
			case ok && (t == "object" || t == "array" || t == "string" || t == "number" ||
				t == "integer" || t == "boolean" || t == "null"):
				n.typ = t
			default:
				n.unsure = true
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				n.unsure = true
				break
			}
			n.enum = map[string]bool{}
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					n.unsure = true
					break
				}
				n.enum[s] = true
			}
		case "format":
			f, ok := v.(string)
			if !ok {
				n.unsure = true
				break
			}
			n.format, err = c.formatSchema(f)
		case "required":
			list, ok := v.([]any)
			if !ok {
				n.unsure = true
				break
			}
			for _, r := range list {
				s, ok := r.(string)
				if !ok {
					n.unsure = true
					break
				}
				n.required = append(n.required, s)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				n.unsure = true
				break
			}
			n.properties = make(map[string]*fastNode, len(props))
			for name, p := range props {
				if n.properties[name], err = c.node(p); err != nil {
					return err
				}
			}
		case "additionalProperties":
			switch a := v.(type) {
			case bool:
				n.addlFalse = !a
			case map[string]any:
				n.addl, err = c.node(a)
			default:
				n.unsure = true
			}
		case "items":
			if _, ok := v.(map[string]any); !ok {
				n.unsure = true // tuple form is not implemented
				break
			}
			n.items, err = c.node(v)
		case "oneOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				n.unsure = true
				break
			}
			for _, b := range list {
				bn, err := c.node(b)
				if err != nil {
					return err
				}
				n.oneOf = append(n.oneOf, bn)
			}
		default:
			n.unsure = true
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// formatSchema compiles {"format": name} once with the settings of
// newValidator (draft-04, format assertions on).
func (c *fastCompiler) formatSchema(name string) (*jsonschema.Schema, error) {
	if s, ok := c.formats[name]; ok {
		return s, nil
	}
	b, err := json.Marshal(map[string]string{"format": name})
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	jc := jsonschema.NewCompiler()
	jc.DefaultDraft(jsonschema.Draft4)
	jc.AssertFormat()
	url := "https://nephoran.com/ves/fastpath/format/" + name + ".json"
	if err := jc.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("fast path: format %q: %w", name, err)
	}
	s, err := jc.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("fast path: format %q: %w", name, err)
	}
	c.formats[name] = s
	return s, nil
}

// accepts reports whether value is certainly valid against the schema.
// False means "don't know": the caller must ask the library.
func (f *fastValidator) accepts(value any) bool {
	return f != nil && f.root.check(value) == valid
}

// worse combines two verdicts of one conjunction: invalid dominates, then
// unsure.
func worse(a, b verdict) verdict {
	if a == invalid || b == invalid {
		return invalid
	}
	if a == unsure || b == unsure {
		return unsure
	}
	return valid
}

func (n *fastNode) check(v any) verdict {
	if n.unsure {
		return unsure
	}
	if n.ref != nil {
		return n.ref.check(v)
	}
	out := valid
	if n.typ != "" {
		if out = typeVerdict(n.typ, v); out == invalid {
			return invalid
		}
	}
	if n.enum != nil {
		s, ok := v.(string)
		if !ok || !n.enum[s] {
			return invalid
		}
	}
	if n.format != nil {
		if _, ok := v.(string); ok && n.format.Validate(v) != nil {
			return invalid
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range n.required {
			if _, ok := x[r]; !ok {
				return invalid
			}
		}
		if n.properties != nil || n.addlFalse || n.addl != nil {
			for k, val := range x {
				var r verdict
				switch p, ok := n.properties[k]; {
				case ok:
					r = p.check(val)
				case n.addlFalse:
					return invalid
				case n.addl != nil:
					r = n.addl.check(val)
				default:
					continue
				}
				if out = worse(out, r); out == invalid {
					return invalid
				}
			}
		}
	case []any:
		if n.items != nil {
			for _, e := range x {
				if out = worse(out, n.items.check(e)); out == invalid {
					return invalid
				}
			}
		}
	}
	if n.oneOf != nil {
		matched := 0
		for _, b := range n.oneOf {
			switch b.check(v) {
			case unsure:
				return unsure
			case valid:
				matched++
			}
		}
		if matched != 1 {
			return invalid
		}
	}
	return out
}

// typeVerdict is draft-04 "type" for one type name over the values decode
// yields (map[string]any, []any, string, json.Number, bool, nil).
func typeVerdict(typ string, v any) verdict {
	switch x := v.(type) {
	case map[string]any:
		return is(typ == "object")
	case []any:
		return is(typ == "array")
	case string:
		return is(typ == "string")
	case bool:
		return is(typ == "boolean")
	case nil:
		return is(typ == "null")
	case json.Number:
		switch typ {
		case "number":
			return valid
		case "integer":
			if plainInteger(string(x)) {
				return valid
			}
			return unsure
		}
		return invalid
	}
	return unsure
}

func is(ok bool) verdict {
	if ok {
		return valid
	}
	return invalid
}

// plainInteger reports whether s is -?[0-9]+.
func plainInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
