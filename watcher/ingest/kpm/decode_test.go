package kpm

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

var received = time.Date(2025, 1, 1, 0, 0, 5, 0, time.UTC)

// validReport is a well-formed report body; cellN substitutes its cell id.
const validReport = `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRU.PrbUsedDl","value":68},{"name":"RRU.PrbAvailDl","value":100}]}`

func TestDecodeReports(t *testing.T) {
	one := model.KPMReport{
		NodeID: "gnb-001", CellID: "cell-1",
		CollectStart: t0, GranularityPeriod: time.Second,
		Measurements: []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 68}, {Name: "RRU.PrbAvailDl", Value: 100}},
		ReceivedAt:   received,
	}
	withMeasurements := func(ms ...model.Measurement) model.KPMReport {
		r := one
		r.Measurements = append([]model.Measurement{}, ms...)
		return r
	}
	tests := []struct {
		name string
		body string
		want []model.KPMReport
	}{
		{"single object", validReport, []model.KPMReport{one}},
		{"array of one", "[" + validReport + "]", []model.KPMReport{one}},
		{"array of two", "[" + validReport + "," + strings.Replace(validReport, "cell-1", "cell-2", 1) + "]",
			[]model.KPMReport{one, func() model.KPMReport { r := one; r.CellID = "cell-2"; return r }()}},
		{"white space around the body", " \n\t" + validReport + "\n", []model.KPMReport{one}},
		{"noValue true is skipped, not zero",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRC.ConnMean","noValue":true},{"name":"RRU.PrbUsedDl","value":68},{"name":"RRU.PrbAvailDl","value":100}]}`,
			[]model.KPMReport{one}},
		{"value null is skipped, not zero",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRU.PrbUsedDl","value":68},{"name":"DRB.RlcSduDelayDl","value":null},{"name":"RRU.PrbAvailDl","value":100}]}`,
			[]model.KPMReport{one}},
		{"noValue true with value null is skipped",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRC.ConnMean","value":null,"noValue":true}]}`,
			[]model.KPMReport{withMeasurements()}},
		{"noValue false with a value keeps it",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRC.ConnMean","value":12,"noValue":false}]}`,
			[]model.KPMReport{withMeasurements(meas("RRC.ConnMean", 12))}},
		{"zero is a value",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRC.ConnMean","value":0},{"name":"RRU.PrbTotDl","value":-0}]}`,
			[]model.KPMReport{withMeasurements(meas("RRC.ConnMean", 0), meas("RRU.PrbTotDl", 0))}},
		{"fractions and exponents",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRU.PrbTotDl","value":67.5},{"name":"RRC.ConnMean","value":4.5e2}]}`,
			[]model.KPMReport{withMeasurements(meas("RRU.PrbTotDl", 67.5), meas("RRC.ConnMean", 450))}},
		{"any measurement name is kept",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"DRB.UEThpDl","value":1234.5}]}`,
			[]model.KPMReport{withMeasurements(meas("DRB.UEThpDl", 1234.5))}},
		{"empty measurements is a report without samples",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[]}`,
			[]model.KPMReport{withMeasurements()}},
		{"granularity is optional (E2SM-KPM makes it so)",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","measurements":[{"name":"RRU.PrbUsedDl","value":68},{"name":"RRU.PrbAvailDl","value":100}]}`,
			[]model.KPMReport{func() model.KPMReport { r := one; r.GranularityPeriod = 0; return r }()}},
		{"a zone offset becomes UTC, fractions of a second kept",
			`{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T02:00:00.250+02:00","granularityPeriodMs":1000,"measurements":[{"name":"RRU.PrbUsedDl","value":68},{"name":"RRU.PrbAvailDl","value":100}]}`,
			[]model.KPMReport{func() model.KPMReport { r := one; r.CollectStart = t0.Add(250 * time.Millisecond); return r }()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeReports([]byte(tt.body), received)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			ref, err := refDecodeReports([]byte(tt.body), received)
			require.NoError(t, err, "the reference decoder")
			require.Equal(t, tt.want, ref, "the reference decoder")
		})
	}
}

func TestDecodeReportsRefusesNamingTheField(t *testing.T) {
	// r builds a report body from its members, so each case shows only
	// what it changes.
	r := func(members ...string) string { return "{" + strings.Join(members, ",") + "}" }
	const (
		node  = `"nodeId":"gnb-001"`
		cell  = `"cellId":"cell-1"`
		start = `"collectStartTime":"2025-01-01T00:00:00Z"`
		gran  = `"granularityPeriodMs":1000`
		ms    = `"measurements":[{"name":"RRU.PrbUsedDl","value":1}]`
	)
	m := func(entries ...string) string { return `"measurements":[` + strings.Join(entries, ",") + `]` }
	tests := []struct {
		name, body, field, message string
	}{
		// The brief's example: the third report's first value.
		{"bad value deep in an array", "[" + validReport + "," + validReport + "," + r(node, cell, start, gran, m(`{"name":"RRU.PrbUsedDl","value":"high"}`)) + "]",
			"[2].measurements[0].value", "must be a number or null, got a string"},

		{"unknown report field", r(node, cell, start, gran, ms, `"unit":"prb"`), "unit", "unknown field"},
		{"unknown report field in an array", "[" + validReport + "," + r(node, cell, start, gran, ms, `"extra":1`) + "]", "[1].extra", "unknown field"},
		{"unknown measurement field", r(node, cell, start, gran, m(`{"name":"RRU.PrbUsedDl","value":1,"unit":"prb"}`)), "measurements[0].unit", "unknown field"},
		{"field names are case-sensitive", r(`"nodeID":"gnb-001"`, cell, start, gran, ms), "nodeID", "unknown field"},
		{"duplicate report member", r(node, node, cell, start, gran, ms), "nodeId", "duplicate member"},
		{"duplicate measurement member", r(node, cell, start, gran, m(`{"name":"a","value":1,"value":2}`)), "measurements[0].value", "duplicate member"},

		{"missing nodeId", r(cell, start, gran, ms), "nodeId", "required"},
		{"missing cellId", r(node, start, gran, ms), "cellId", "required"},
		{"missing collectStartTime", r(node, cell, gran, ms), "collectStartTime", "required"},
		{"missing measurements", r(node, cell, start, gran), "measurements", "required"},
		{"missing in the second report", "[" + validReport + "," + r(node, start, gran, ms) + "]", "[1].cellId", "required"},

		{"empty nodeId", r(`"nodeId":""`, cell, start, gran, ms), "nodeId", "must not be empty"},
		{"numeric nodeId", r(`"nodeId":1`, cell, start, gran, ms), "nodeId", "must be a string, got a number"},
		{"null cellId", r(node, `"cellId":null`, start, gran, ms), "cellId", "must be a string, got null"},
		{"control character in cellId", r(node, `"cellId":"cell\u00011"`, start, gran, ms), "cellId", "control characters"},
		{"overlong nodeId", r(`"nodeId":"`+strings.Repeat("n", 257)+`"`, cell, start, gran, ms), "nodeId", "longer than 256 bytes"},

		{"time without zone", r(node, cell, `"collectStartTime":"2025-01-01T00:00:00"`, gran, ms), "collectStartTime", "not an RFC 3339 timestamp"},
		{"time as epoch number", r(node, cell, `"collectStartTime":1735689600`, gran, ms), "collectStartTime", "must be a string, got a number"},
		{"time before 1970", r(node, cell, `"collectStartTime":"1969-12-31T23:59:59Z"`, gran, ms), "collectStartTime", "outside 1970..2200"},

		{"zero granularity", r(node, cell, start, `"granularityPeriodMs":0`, ms), "granularityPeriodMs", "must be in 1..4294967295"},
		{"negative granularity", r(node, cell, start, `"granularityPeriodMs":-1000`, ms), "granularityPeriodMs", "must be in 1..4294967295"},
		{"fractional granularity", r(node, cell, start, `"granularityPeriodMs":1000.5`, ms), "granularityPeriodMs", "must be a positive integer"},
		{"granularity as a string", r(node, cell, start, `"granularityPeriodMs":"1000"`, ms), "granularityPeriodMs", "must be a positive integer"},
		{"granularity beyond E2SM-KPM's bound", r(node, cell, start, `"granularityPeriodMs":4294967296`, ms), "granularityPeriodMs", "must be in 1..4294967295"},

		{"measurements not an array", r(node, cell, start, gran, `"measurements":{"name":"a","value":1}`), "measurements", "must be an array of measurements"},
		{"measurement not an object", r(node, cell, start, gran, m(`42`)), "measurements[0]", "must be a measurement object"},
		{"measurement without name", r(node, cell, start, gran, m(`{"value":1}`)), "measurements[0].name", "required"},
		{"measurement name with a space", r(node, cell, start, gran, m(`{"name":"RRU PrbUsedDl","value":1}`)), "measurements[0].name", "white space"},
		{"measurement without value", r(node, cell, start, gran, m(`{"name":"RRU.PrbUsedDl"}`)), "measurements[0].value", "required"},
		{"duplicate measurement name", r(node, cell, start, gran, m(`{"name":"a","value":1}`, `{"name":"a","noValue":true}`)), "measurements[1].name", `duplicate measurement "a"`},
		{"negative value", r(node, cell, start, gran, m(`{"name":"a","value":1}`, `{"name":"b","value":-3}`)), "measurements[1].value", "must not be negative"},
		{"value beyond float64", r(node, cell, start, gran, m(`{"name":"a","value":1e400}`)), "measurements[0].value", "not a finite number"},
		{"value NaN as a string", r(node, cell, start, gran, m(`{"name":"a","value":"NaN"}`)), "measurements[0].value", "must be a number or null"},
		{"value as a boolean", r(node, cell, start, gran, m(`{"name":"a","value":true}`)), "measurements[0].value", "must be a number or null, got a boolean"},
		{"noValue not a boolean", r(node, cell, start, gran, m(`{"name":"a","noValue":"yes"}`)), "measurements[0].noValue", "must be a boolean"},
		{"noValue with a value", r(node, cell, start, gran, m(`{"name":"a","noValue":true,"value":3}`)), "measurements[0].value", `given together with "noValue": true`},
		{"too many measurements", r(node, cell, start, gran, m(manyMeasurements(maxMeasurements+1)...)), "measurements", "more than 1024 measurements"},

		{"empty body", "", "", "empty body"},
		{"empty array", "[]", "", "empty array"},
		{"a string body", `"report"`, "", "must be a report object or an array of report objects, got a string"},
		{"not JSON at all", `report`, "", "invalid JSON: unexpected 'r' at byte 0"},
		{"array element not an object", "[1]", "[0]", "must be a report object, got a number"},
		{"nested arrays", "[[" + validReport + "]]", "[0]", "must be a report object, got an array"},
		{"syntax error in an element", "[" + validReport + `,{"nodeId":}]`, "[1].nodeId", "invalid JSON: unexpected '}'"},
		{"missing comma between members", r(node, cell+` `+start), "", "invalid JSON: unexpected '\"'"},
		{"missing comma between measurements", r(node, cell, start, `"measurements":[{"name":"a","value":1} {"name":"b","value":2}]`), "measurements", "invalid JSON: unexpected '{'"},
		{"trailing comma in an array", "[" + validReport + ",]", "[1]", "invalid JSON: unexpected ']'"},
		{"bad literal", r(node, cell, start, m(`{"name":"a","noValue":tru}`)), "measurements[0].noValue", "invalid JSON"},
		{"bad number", r(node, cell, start, m(`{"name":"a","value":01}`)), "measurements[0]", "invalid JSON: unexpected '1'"},
		{"control character inside a string", r(node, "\"cellId\":\"a\tb\"", start, ms), "cellId", "invalid JSON: control character"},
		{"escaped control character in an id", r(node, `"cellId":"a\u0007b"`, start, ms), "cellId", "must not contain control characters"},
		{"truncated object", `{"nodeId":"gnb-001"`, "", "invalid JSON: unexpected end of body"},
		{"truncated string", `{"nodeId":"gnb-0`, "nodeId", "invalid JSON: unexpected end of body"},
		{"two objects", validReport + validReport, "", "unexpected data after the top-level value"},
		{"invalid UTF-8", "{\"nodeId\":\"\xff\"}", "", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeReports([]byte(tt.body), received)
			require.Nil(t, got)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %v", err)
			require.Equal(t, tt.field, fe.Field, "message: %s", fe.Message)
			require.Contains(t, fe.Message, tt.message)
			_, err = refDecodeReports([]byte(tt.body), received)
			require.Error(t, err, "the reference decoder accepts it")
		})
	}
}

func manyMeasurements(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = `{"name":"m` + strconv.Itoa(i) + `","noValue":true}`
	}
	return out
}

func FuzzDecodeReports(f *testing.F) {
	for _, seed := range []string{
		validReport,
		"[" + validReport + "," + strings.Replace(validReport, "cell-1", "cell-2", 1) + "]",
		`{"nodeId":"gnb-001","cellId":"c","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[{"name":"RRC.ConnMean","noValue":true},{"name":"DRB.RlcSduDelayDl","value":null},{"name":"RRU.PrbTotDl","value":-0}]}`,
		`{"nodeId":"gnb-001","cellId":"c","collectStartTime":"2025-01-01T00:00:00Z","measurements":[{"name":"a","value":1e400}]}`,
		`{"nodeId":"gnb-001","cellId":"c","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":0,"measurements":[]}`,
		`[{"nodeId":1}]`, `[]`, `{}`, `[1,2]`, `null`, `{"nodeId":"a","nodeId":"b"}`,
		"{\"nodeId\":\"\xff\"}", `[{"nodeId":"a"`, "",
		`{"node\u0049d":"gnb-001","cellId":"c\u00e9","collectStartTime":"2025-01-01T00:00:00.5+01:00","measurements":[{"name":"x","value":1.5e2,"noValue":false}]}`,
		`[{"nodeId":"a","cellId":"b","collectStartTime":"2025-01-01T00:00:00Z","measurements":[{"name":"x","value":1} {"name":"y","value":2}]}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reports, err := DecodeReports(body, received)
		ref, refErr := refDecodeReports(body, received)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("the decoder and the reference disagree on %q:\n decoder:   %v\n reference: %v", body, err, refErr)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Message == "" {
				t.Fatalf("want a *FieldError with a message, got %#v", err)
			}
			return
		}
		if len(reports) == 0 {
			t.Fatal("no error and no reports")
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		require.Equal(t, ref, reports, "the decoder and the reference decode %q differently", body)
		for _, r := range reports {
			if checkID(r.NodeID) != "" || checkID(r.CellID) != "" || !inTimeRange(r.CollectStart) || r.GranularityPeriod < 0 {
				t.Fatalf("decoded an invalid report: %+v", r)
			}
			for _, m := range r.Measurements {
				if m.Name == "" || m.Value < 0 || math.IsInf(m.Value, 0) || math.IsNaN(m.Value) {
					t.Fatalf("decoded an invalid measurement: %+v", m)
				}
			}
		}
		// Whatever decodes must also aggregate and read out.
		in := New(Options{Now: func() time.Time { return received }})
		in.Ingest(reports)
		in.Snapshot(reports[0].NodeID)
		in.LastClosed(reports[0].NodeID)
	})
}
