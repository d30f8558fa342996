package model

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEvidenceTextIsCompact: evidence values print on one line each: flat
// objects as sorted k=v pairs, lists joined, anything deeper as compact
// JSON.
func TestEvidenceTextIsCompact(t *testing.T) {
	for raw, want := range map[string]string{
		`{"kpm.ue_count": 120, "kpm.prb_utilization": 0.93}`: "kpm.prb_utilization=0.93 kpm.ue_count=120",
		`["ev-1", "ev-2"]`:            "ev-1, ev-2",
		`3`:                           "3",
		`"gnb-001"`:                   "gnb-001",
		`{"a": {"b": 1}}`:             `{"a":{"b":1}}`,
		`{"node": "gnb-001\nsecond"}`: "node=gnb-001 second",
		`not json`:                    "not json",
	} {
		require.Equal(t, want, EvidenceText(json.RawMessage(raw)), raw)
	}
}
