package model

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// EvidenceText renders one value of a CNFIntent's evidence on one line, as
// a proposal commit and a pull request body show it: scalars as they are,
// lists of scalars joined by commas, flat objects as k=v pairs in key
// order, anything deeper as compact JSON; whitespace runs (newlines too)
// fold to one space.
func EvidenceText(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return oneLine(string(raw))
	}
	switch t := v.(type) {
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := scalarText(e)
			if !ok {
				return compactJSON(raw)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(t))
		for _, k := range keys {
			s, ok := scalarText(t[k])
			if !ok {
				return compactJSON(raw)
			}
			parts = append(parts, k+"="+s)
		}
		return strings.Join(parts, " ")
	}
	if s, ok := scalarText(v); ok {
		return s
	}
	return compactJSON(raw)
}

func scalarText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return oneLine(t), true
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	case nil:
		return "null", true
	}
	return "", false
}

func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return oneLine(string(raw))
	}
	return buf.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
