package model

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMeasurementsJSONMatchesEncodingJSON: the hand-written encoder writes
// what encoding/json writes (null for a value that is not finite).
func TestMeasurementsJSONMatchesEncodingJSON(t *testing.T) {
	type entry struct {
		Name  string   `json:"name"`
		Value *float64 `json:"value"`
	}
	var ms []Measurement
	var want []entry
	for _, f := range []float64{0, 1, -1, 0.1, 42.5, 1e-6, 9.99e-7, 1e-7, 1.5e-300, 1e20, 1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1)} {
		ms = append(ms, Measurement{Name: "RRU.PrbUsedDl", Value: f})
		e := entry{Name: "RRU.PrbUsedDl"}
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			e.Value = &f
		}
		want = append(want, e)
	}
	for _, s := range []string{"", `a"b\c`, "tab\there\nnl\r\x01\x1f", "é€😀"} {
		ms = append(ms, Measurement{Name: s, Value: 1})
		one := 1.0
		want = append(want, entry{Name: s, Value: &one})
	}
	w, err := json.Marshal(want)
	require.NoError(t, err)
	require.Equal(t, string(w), string(AppendMeasurementsJSON(nil, ms)))

	// Invalid UTF-8 becomes U+FFFD, as encoding/json does; U+2028 is not
	// escaped (encoding/json does it for HTML), which reads back the same.
	var back []entry
	require.NoError(t, json.Unmarshal(AppendMeasurementsJSON(nil, []Measurement{{Name: "bad\xffutf8", Value: 1}, {Name: "\u2028", Value: 1}}), &back))
	require.Equal(t, "bad\ufffdutf8", back[0].Name)
	require.Equal(t, "\u2028", back[1].Name)
}
