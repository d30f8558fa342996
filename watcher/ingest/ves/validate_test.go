package ves

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

var (
	sharedValidatorOnce sync.Once
	sharedValidator     *validator
	sharedValidatorErr  error
)

func testValidator(t testing.TB) *validator {
	t.Helper()
	sharedValidatorOnce.Do(func() { sharedValidator, sharedValidatorErr = newValidator() })
	require.NoError(t, sharedValidatorErr)
	return sharedValidator
}

// TestSchemaDomains: the domain label set is the schema's enum, so a new
// schema brings its domains with it.
func TestSchemaDomains(t *testing.T) {
	v := testValidator(t)
	require.Len(t, v.domains, 14)
	for _, d := range []string{"fault", "heartbeat", "measurement", "stndDefined", "thresholdCrossingAlert", "pnfRegistration"} {
		require.Equal(t, d, v.domainLabel(d))
	}
	for _, d := range []string{"", "pnfRegistratio", "measurementsForVfScaling", "Fault"} {
		require.Equal(t, invalidDomain, v.domainLabel(d), "domain %q", d)
	}
}

// TestDecodeKeepsBytes: Raw is the producer's bytes, whatever white space
// and escapes they used, and the body's other members do not leak in.
func TestDecodeKeepsBytes(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{name: "single event with odd white space", body: "{ \"x\" : 1 ,\r\n\t\"event\" :\t{\"a\" : \"\\u00e9\" } }", want: []string{`{"a" : "\u00e9" }`}},
		{name: "batch elements keep their own bytes", body: `{"eventList":[ {"a":1} ,{"b":[1, 2]},{}]}`, want: []string{`{"a":1}`, `{"b":[1, 2]}`, `{}`}},
		{name: "non-object elements are still captured for the schema to refuse", body: `{"eventList":[1,"x",null]}`, want: []string{`1`, `"x"`, `null`}},
		{name: "eventList that is not an array has no elements", body: `{"eventList":{"a":1}}`, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := decode([]byte(tc.body))
			require.NoError(t, err)
			var got []string
			for _, e := range doc.events {
				got = append(got, string(e.raw))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestSchemaErrorIsDeterministic: the library reports object members in
// map order; the answer must not change between runs.
func TestSchemaErrorIsDeterministic(t *testing.T) {
	v := testValidator(t)
	// Three faults at once: the first pointer in order wins.
	body := []byte(`{"event":{"commonEventHeader":{"domain":"fault","eventId":1,"eventName":2,"lastEpochMicrosec":"x",` +
		`"priority":"High","reportingEntityName":"r","sequence":0,"sourceName":"s","startEpochMicrosec":0,"version":"4.1","vesEventListenerVersion":"7.2.1"}}}`)
	for range 20 {
		c := v.validate(endpointEvent, body)
		require.NotNil(t, c.err)
		require.Equal(t, "/event/commonEventHeader/eventId", c.err.Variables[0])
	}
}

// requireDecodesLikeEncodingJSON: decode reads what encoding/json reads, to
// the same value, and refuses only what it must (not JSON, not UTF-8,
// duplicate members, nesting beyond maxDepth).
func requireDecodesLikeEncodingJSON(t *testing.T, body []byte) {
	doc, err := decode(body)
	if !json.Valid(body) || !utf8.Valid(body) {
		require.Error(t, err, "decode accepted what is not JSON: %q", body)
		return
	}
	if err != nil {
		require.Regexp(t, `^(duplicate member|nesting deeper than)`, err.Error())
		return
	}
	ref := json.NewDecoder(bytes.NewReader(body))
	ref.UseNumber()
	var want any
	require.NoError(t, ref.Decode(&want))
	require.Equal(t, want, doc.value)
}

// TestDecodeMatchesEncodingJSON: the corners of RFC 8259 the decoder must
// read exactly as encoding/json does.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name string
		body string
		ok   bool
	}{
		{name: "escapes of every kind", body: `{"a":"\"\\\/\b\f\n\r\t\u00e9\u20AC"}`, ok: true},
		{name: "surrogate pair", body: `["\ud83d\ude00"]`, ok: true},
		{name: "lone high surrogate becomes U+FFFD", body: `["\ud83dx"]`, ok: true},
		{name: "high surrogate before a non-surrogate escape", body: `["\ud83d\u0041"]`, ok: true},
		{name: "lone low surrogate", body: `["\ude00"]`, ok: true},
		{name: "numbers keep their spelling", body: `[0,-0,1.50,-2e10,3E+2,4e-2,123456789012345678901234567890]`, ok: true},
		{name: "empty containers and literals", body: " {\"a\":{},\"b\":[],\"c\":[true,false,null]} ", ok: true},
		{name: "leading zero", body: `[01]`},
		{name: "bare minus", body: `[-]`},
		{name: "fraction without digits", body: `[1.]`},
		{name: "exponent without digits", body: `[1e]`},
		{name: "raw control character in a string", body: "[\"a\tb\"]"},
		{name: "bad escape", body: `["\x"]`},
		{name: "short unicode escape", body: `["\u12"]`},
		{name: "trailing comma", body: `[1,]`},
		{name: "missing colon", body: `{"a" 1}`},
		{name: "unquoted name", body: `{a:1}`},
		{name: "truncated literal", body: `[tru]`},
		{name: "literal with a tail", body: `[truex]`},
		{name: "two values", body: `{} {}`},
		{name: "only white space", body: " \n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireDecodesLikeEncodingJSON(t, []byte(tc.body))
			_, err := decode([]byte(tc.body))
			require.Equal(t, tc.ok, err == nil, "err: %v", err)
		})
	}
}

// FuzzDecode drives the decode+validate path without HTTP, seeded from every
// sample on both endpoints. It must not panic, must read JSON as
// encoding/json does, and whatever it accepts the schema library (the
// reference) must accept too. Work is bounded: bodies are at most the 2 MiB
// limit, decode is one linear pass and nesting stops at maxDepth.
func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir(samplesDir)
	require.NoError(f, err)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(samplesDir, e.Name()))
		require.NoError(f, err)
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`{"event":{"event":{}}}`), false)
	f.Add([]byte(`{"eventList":[{"commonEventHeader":{"domain":"stndDefined"}}]}`), true)
	v := testValidator(f)
	f.Fuzz(func(t *testing.T, body []byte, batch bool) {
		if len(body) > DefaultMaxBodyBytes {
			t.Skip("the listener never reads more than the limit")
		}
		requireDecodesLikeEncodingJSON(t, body)
		ep := endpointEvent
		if batch {
			ep = endpointBatch
		}
		c := v.validate(ep, body)
		if c.err != nil {
			require.Contains(t, []int{http.StatusBadRequest}, c.err.status)
			require.Contains(t, []string{SVC0001, SVC0002, SVC2006}, c.err.MessageID)
			_, err := json.Marshal(c.err)
			require.NoError(t, err)
			if !json.Valid(body) {
				require.Equal(t, SVC0002, c.err.MessageID, "what is not JSON is SVC0002")
			}
			return
		}
		// Accepted: the reference library agrees on the whole body.
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		require.NoError(t, err)
		require.NoError(t, v.schema.Validate(doc))
		require.NotEmpty(t, c.events)
		for _, ev := range c.events {
			require.True(t, json.Valid(ev.Raw))
			require.True(t, bytes.Contains(body, ev.Raw), "Raw is a piece of the body")
			require.True(t, v.domains[ev.Domain])
			require.Equal(t, c.events[0].Domain, ev.Domain)
			if ev.Domain == domainStndDefined {
				require.Equal(t, model.StndDefinedUnvalidated, ev.Result)
				require.NotEmpty(t, ev.StndDefinedNamespace)
				require.Equal(t, c.events[0].StndDefinedNamespace, ev.StndDefinedNamespace)
			} else {
				require.Equal(t, model.Accepted, ev.Result)
			}
		}
	})
}
