package ves

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// fastAndLibrary decodes body and returns what the fast path and the
// library say about it; ok is false when body does not decode.
func fastAndLibrary(t testing.TB, v *validator, body []byte) (fast, lib, ok bool) {
	t.Helper()
	doc, err := decode(body)
	if err != nil {
		return false, false, false
	}
	return v.fast.accepts(doc.value), v.schema.Validate(doc.value) == nil, true
}

// requireFastImpliesLibrary is the fast path's one obligation.
func requireFastImpliesLibrary(t testing.TB, v *validator, body []byte, what string) (fast, lib bool) {
	t.Helper()
	fast, lib, _ = fastAndLibrary(t, v, body)
	if fast && !lib {
		t.Fatalf("%s: the fast path accepts what the library refuses:\n%s", what, body)
	}
	return fast, lib
}

// allSampleBodies is every sample body and every fcaps example, by name.
func allSampleBodies(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(samplesDir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(samplesDir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = b
	}
	for name, b := range fcapsExamples(t) {
		out["fcaps/"+name] = b
	}
	return out
}

// TestFastPathSamples: on every sample, fast-valid => library-valid, and the
// fast path accepts every plain-named (ordinary, valid) sample by itself.
func TestFastPathSamples(t *testing.T) {
	v := testValidator(t)
	require.NotNil(t, v.fast)
	bodies := allSampleBodies(t)
	names := make([]string, 0, len(bodies))
	for n := range bodies {
		names = append(names, n)
	}
	sort.Strings(names)
	libOK, fastOK := 0, 0
	for _, name := range names {
		fast, lib := requireFastImpliesLibrary(t, v, bodies[name], name)
		if lib {
			libOK++
		}
		if fast {
			fastOK++
		}
		plain := !strings.HasPrefix(name, "INVALID-") && !strings.HasPrefix(name, "EDGE-") && !strings.HasPrefix(name, "fcaps/")
		if plain && lib {
			require.True(t, fast, "%s: the fast path should accept this ordinary sample", name)
		}
		t.Logf("%-60s library=%-5v fast=%v", name, lib, fast)
	}
	t.Logf("library accepts %d of %d bodies; the fast path accepts %d of those", libOK, len(names), fastOK)
}

// TestFastPathFormats: format values go through the library itself.
func TestFastPathFormats(t *testing.T) {
	v := testValidator(t)
	body := readSample(t, "onap-ves7-stndDefined-3gpp-fault.json")
	for _, tc := range []struct {
		ref  string
		want bool
	}{
		{"https://forge.3gpp.org/x.yaml#/components/schemas/NotifyNewAlarm", true},
		{"relative/path.yaml", false},
		{"http://[::1", false},
	} {
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		ev := m["event"].(map[string]any)
		ev["stndDefinedFields"].(map[string]any)["schemaReference"] = tc.ref
		b, err := json.Marshal(m)
		require.NoError(t, err)
		fast, lib := requireFastImpliesLibrary(t, v, b, tc.ref)
		require.Equal(t, tc.want, lib, tc.ref)
		require.Equal(t, tc.want, fast, tc.ref)
	}
}

// step is one reference token of a path in a decoded body.
type step struct {
	key   string
	index int // used when key == "" and array is true
	array bool
}

// leafPaths lists the path of every value under v (v itself included).
func leafPaths(v any, at []step, out *[][]step) {
	*out = append(*out, append([]step(nil), at...))
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			leafPaths(x[k], append(at, step{key: k}), out)
		}
	case []any:
		for i, e := range x {
			leafPaths(e, append(at, step{index: i, array: true}), out)
		}
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// mutate returns a copy of root with f applied to the value at path:
// f gets the value and returns the replacement, or drop to delete it.
func mutate(root any, path []step, f func(any) (any, bool)) any {
	c := deepCopy(root)
	if len(path) == 0 {
		r, drop := f(c)
		if drop {
			return nil
		}
		return r
	}
	parent := c
	for _, s := range path[:len(path)-1] {
		if s.array {
			parent = parent.([]any)[s.index]
		} else {
			parent = parent.(map[string]any)[s.key]
		}
	}
	last := path[len(path)-1]
	if last.array {
		a := parent.([]any)
		r, drop := f(a[last.index])
		if drop {
			// Arrays are shared by reference from their parent: replace
			// the element instead of shrinking in place.
			a[last.index] = nil
			return c
		}
		a[last.index] = r
		return c
	}
	m := parent.(map[string]any)
	r, drop := f(m[last.key])
	if drop {
		delete(m, last.key)
		return c
	}
	m[last.key] = r
	return c
}

// mutations are the single changes applied at every path.
var mutations = []struct {
	name string
	f    func(any) (any, bool)
}{
	{"delete", func(any) (any, bool) { return nil, true }},
	{"bogus-string", func(any) (any, bool) { return "bogus", false }},
	{"number", func(any) (any, bool) { return json.Number("7"), false }},
	{"fraction", func(any) (any, bool) { return json.Number("7.5"), false }},
	{"exponent", func(any) (any, bool) { return json.Number("1e3"), false }},
	{"null", func(any) (any, bool) { return nil, false }},
	{"bool", func(any) (any, bool) { return true, false }},
	{"empty-object", func(any) (any, bool) { return map[string]any{}, false }},
	{"empty-array", func(any) (any, bool) { return []any{}, false }},
	{"number-to-string", func(v any) (any, bool) {
		if n, ok := v.(json.Number); ok {
			return string(n), false
		}
		return v, false
	}},
	{"string-to-number", func(v any) (any, bool) {
		if _, ok := v.(string); ok {
			return json.Number("1"), false
		}
		return v, false
	}},
	{"unknown-member", func(v any) (any, bool) {
		if m, ok := v.(map[string]any); ok {
			m["zzUnknownMember"] = "x"
		}
		return v, false
	}},
	{"duplicate-element", func(v any) (any, bool) {
		if a, ok := v.([]any); ok && len(a) > 0 {
			return append(a, deepCopy(a[0])), false
		}
		return v, false
	}},
	{"bad-ip", func(v any) (any, bool) {
		if _, ok := v.(string); ok {
			return "999.1.1.1", false
		}
		return v, false
	}},
}

// TestFastPathMutations: every single mutation of every sample the library
// accepts keeps fast-valid => library-valid, and the listener answers the
// mutant identically (status and body) with and without the fast path.
func TestFastPathMutations(t *testing.T) {
	withFast, _ := newTestListener(t, discard)
	without, _ := newTestListener(t, discard)
	without.validator.fast = nil
	require.NotNil(t, withFast.validator.fast)
	v := withFast.validator
	bodies := allSampleBodies(t)
	names := make([]string, 0, len(bodies))
	for n := range bodies {
		names = append(names, n)
	}
	sort.Strings(names)
	if testing.Short() {
		names = names[:min(len(names), 4)]
	}
	total, fastCount, libCount := 0, 0, 0
	for _, name := range names {
		body := bodies[name]
		doc, err := decode(body)
		require.NoError(t, err, name)
		if v.schema.Validate(doc.value) != nil {
			continue // mutate only what the library accepts
		}
		path := PathEvent
		if doc.hasEventList {
			path = PathBatch
		}
		var paths [][]step
		leafPaths(doc.value, nil, &paths)
		for _, p := range paths {
			for _, mu := range mutations {
				mutant := mutate(doc.value, p, mu.f)
				b, err := json.Marshal(mutant)
				require.NoError(t, err)
				what := fmt.Sprintf("%s %v %s", name, p, mu.name)
				fast, lib := requireFastImpliesLibrary(t, v, b, what)
				total++
				if fast {
					fastCount++
				}
				if lib {
					libCount++
				}
				a, c := post(withFast, path, b), post(without, path, b)
				require.Equal(t, c.Code, a.Code, what)
				require.Equal(t, c.Body.String(), a.Body.String(), what)
				require.Contains(t, []int{http.StatusAccepted, http.StatusBadRequest}, a.Code, what)
			}
		}
	}
	t.Logf("%d mutants: library accepts %d, fast path accepts %d", total, libCount, fastCount)
	require.NotZero(t, total)
}

// FuzzFastPath: whatever the fast path calls valid, the library does too,
// and strict validation answers the same with and without the fast path.
func FuzzFastPath(f *testing.F) {
	for _, b := range allSampleBodies(f) {
		f.Add(b)
	}
	v := testValidator(f)
	slow := *v
	slow.fast = nil
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > DefaultMaxBodyBytes {
			t.Skip("the listener never reads more than the limit")
		}
		requireFastImpliesLibrary(t, v, body, "fuzz input")
		for _, ep := range []endpoint{endpointEvent, endpointBatch, endpointWebhook} {
			a, b := v.validate(ep, body), slow.validate(ep, body)
			requireSameAnswer(t, b, a)
		}
	})
}

// requireSameAnswer compares two outcomes of check. A refusal's reason text
// is compared only when it names a single member: the library words "additional
// properties 'a', 'b' not allowed" in map order, so two library runs on the
// same body can differ there (already so without the fast path).
func requireSameAnswer(t testing.TB, want, got checked) {
	t.Helper()
	require.Equal(t, want.events, got.events)
	if want.err == nil || got.err == nil {
		require.Equal(t, want.err, got.err)
		return
	}
	w, g := *want.err, *got.err
	require.Equal(t, len(w.Variables), len(g.Variables))
	if len(w.Variables) == 2 && strings.Contains(w.Variables[1], "', '") {
		w.Variables, g.Variables = w.Variables[:1], g.Variables[:1]
	}
	require.Equal(t, w, g)
}

// TestFastPathUnsureKeywords: a keyword or form the fast path does not
// implement makes its node answer "don't know", never valid.
func TestFastPathUnsureKeywords(t *testing.T) {
	for _, schema := range []string{
		`{"type":"string","minLength":3}`,
		`{"type":"string","pattern":"^a"}`,
		`{"type":["string","null"]}`,
		`{"enum":["a",1]}`,
		`{"type":"array","items":[{"type":"string"}]}`,
		`{"$ref":"#/definitions/s","type":"string","definitions":{"s":{"type":"string"}}}`,
		`{"$ref":"http://example.com/s.json"}`,
		`{"$ref":"#/definitions/r","definitions":{"r":{"$ref":"#/definitions/r"}}}`,
		`{"anyOf":[{"type":"string"}]}`,
		`{"properties":{"a":{"type":"string","maximum":1}}}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
		require.NoError(t, err)
		f, err := newFastValidator(doc)
		require.NoError(t, err, schema)
		for _, value := range []any{"a", "abc", nil, json.Number("1"), []any{"a"}, map[string]any{"a": "a"}} {
			if schema == `{"properties":{"a":{"type":"string","maximum":1}}}` {
				if _, ok := value.(map[string]any); !ok {
					continue // the unsure node is not reached
				}
			}
			require.False(t, f.accepts(value), "%s accepts %v", schema, value)
		}
	}
	// The implemented keywords do answer valid.
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(
		`{"type":"object","required":["a"],"additionalProperties":false,"properties":{"a":{"type":"integer"},"b":{"enum":["x"]}}}`))
	require.NoError(t, err)
	f, err := newFastValidator(doc)
	require.NoError(t, err)
	require.True(t, f.accepts(map[string]any{"a": json.Number("3"), "b": "x"}))
	require.False(t, f.accepts(map[string]any{"a": json.Number("3.0")}), "fractions are unsure")
	require.False(t, f.accepts(map[string]any{"a": json.Number("3"), "c": "x"}))
}
