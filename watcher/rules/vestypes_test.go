package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVESTypes(t *testing.T) {
	table, err := vesTypes()
	require.NoError(t, err)
	tests := []struct {
		name   string
		segs   []string
		want   string
		wantOK bool
	}{
		{name: "a header string", segs: []string{"commonEventHeader", "sourceName"}, want: "string", wantOK: true},
		{name: "a header integer", segs: []string{"commonEventHeader", "sequence"}, want: "integer", wantOK: true},
		{name: "alertValue is a string in VES", segs: []string{"thresholdCrossingAlertFields", "alertValue"}, want: "string", wantOK: true},
		{name: "a hashMap value through $ref and additionalProperties", segs: []string{"faultFields", "alarmAdditionalInformation", "site"}, want: "string", wantOK: true},
		{name: "a list item's field", segs: []string{"measurementFields", "cpuUsageArray", indexSeg + "3", "percentUsage"}, want: "number", wantOK: true},
		{name: "a block is an object", segs: []string{"faultFields"}, want: "object", wantOK: true},
		{name: "a field the schema does not have", segs: []string{"faultFields", "madeUp"}},
		{name: "a domain block the schema does not have", segs: []string{"measurementsForVfScalingFields"}},
		{name: "the event itself is no field", segs: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := vesType(table, tt.segs)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("the table is the schema's: a known count of string leaves", func(t *testing.T) {
		strs := 0
		for _, typ := range table {
			if typ == "string" {
				strs++
			}
		}
		require.Greater(t, strs, 200)
	})
}
