package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/nephoran/nephoran/internal/vesschema"
)

// vesTypes maps a path inside the VES event object to the JSON type the VES
// 7.2.1 schema gives it: "faultFields.alarmCondition" -> "string". Map values
// (additionalProperties, such as a hashMap) are the path segment "*", list
// items "[]": "faultFields.alarmAdditionalInformation.*" -> "string". A path
// whose type the schema leaves open (oneOf, no type) maps to "". It is read
// from the embedded schema once, following $ref into definitions.
var vesTypes = sync.OnceValues(func() (map[string]string, error) {
	return readVESTypes(vesschema.JSON)
})

// readVESTypes derives the path->type table from a VES schema document.
func readVESTypes(doc []byte) (map[string]string, error) {
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("read the VES schema: %w", err)
	}
	defs, _ := root["definitions"].(map[string]any)
	event, ok := defs["event"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("read the VES schema: no definitions.event")
	}
	table := map[string]string{}
	var walk func(prefix string, s map[string]any, depth int)
	walk = func(prefix string, s map[string]any, depth int) {
		// $ref chains are short and the schema has no cycles; the depth
		// guard only keeps a malformed schema from looping.
		for i := 0; i < 8; i++ {
			ref, _ := s["$ref"].(string)
			name, isDef := strings.CutPrefix(ref, "#/definitions/")
			if !isDef {
				break
			}
			if s, ok = defs[name].(map[string]any); !ok {
				return
			}
		}
		if depth > 16 {
			return
		}
		typ, _ := s["type"].(string)
		if prefix != "" {
			table[prefix] = typ
		}
		join := func(seg string) string {
			if prefix == "" {
				return seg
			}
			return prefix + "." + seg
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, v := range props {
				if sub, ok := v.(map[string]any); ok {
					walk(join(k), sub, depth+1)
				}
			}
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(join("*"), ap, depth+1)
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(join("[]"), items, depth+1)
		}
	}
	walk("", event, 0)
	return table, nil
}

// vesType returns the schema type of an event path given as segments (field
// names and map keys; indexSeg+"N" for a list index), and whether the schema knows
// the path. A key the schema does not list resolves through "*" when the
// object has additionalProperties.
func vesType(table map[string]string, segs []string) (string, bool) {
	prefix := ""
	for _, seg := range segs {
		if strings.HasPrefix(seg, indexSeg) {
			seg = "[]"
		}
		next := seg
		if prefix != "" {
			next = prefix + "." + seg
		}
		if _, ok := table[next]; !ok {
			star := "*"
			if prefix != "" {
				star = prefix + ".*"
			}
			if _, ok := table[star]; !ok {
				return "", false
			}
			next = star
		}
		prefix = next
	}
	t, ok := table[prefix]
	return t, ok && prefix != ""
}
