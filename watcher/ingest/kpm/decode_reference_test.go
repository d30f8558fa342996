package kpm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nephoran/nephoran/watcher/model"
)

// refDecodeReports is the reference decoder: the same contract as
// DecodeReports built on encoding/json (a Decoder per object, a RawMessage
// per value), simple and slow (~30 us per report). FuzzDecodeReports holds
// the two to the same answers.
func refDecodeReports(body []byte, receivedAt time.Time) ([]model.KPMReport, error) {
	if !utf8.Valid(body) {
		return nil, fieldErr("", "body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fieldErr("", "empty body: want a report object or an array of report objects")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var reports []model.KPMReport
	switch trimmed[0] {
	case '{':
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, refSyntaxErr("", err)
		}
		r, err := refDecodeReport(raw, "", receivedAt)
		if err != nil {
			return nil, err
		}
		reports = []model.KPMReport{r}
	case '[':
		if _, err := dec.Token(); err != nil { // the '['
			return nil, refSyntaxErr("", err)
		}
		for i := 0; dec.More(); i++ {
			path := "[" + strconv.Itoa(i) + "]"
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, refSyntaxErr(path, err)
			}
			r, err := refDecodeReport(raw, path, receivedAt)
			if err != nil {
				return nil, err
			}
			reports = append(reports, r)
		}
		if _, err := dec.Token(); err != nil { // the ']'
			return nil, refSyntaxErr("", err)
		}
		if len(reports) == 0 {
			return nil, fieldErr("", "empty array: want at least one report")
		}
	default:
		return nil, fieldErr("", "want a report object or an array of report objects")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fieldErr("", "unexpected data after the top-level value")
	}
	return reports, nil
}

// refSyntaxErr turns a json decoding error into a FieldError at path.
func refSyntaxErr(path string, err error) *FieldError {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fieldErr(path, "invalid JSON: %s (at byte %d)", se.Error(), se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErr(path, "invalid JSON: unexpected end of body")
	default:
		return fieldErr(path, "invalid JSON: %s", err.Error())
	}
}

// refMember is one name/value pair of a JSON object, in body order.
type refMember struct {
	name  string
	value json.RawMessage
}

// refMembers splits a JSON object (already checked to be well-formed) into its
// refMembers, keeping duplicates so that the caller can refuse them.
func refMembers(raw json.RawMessage, path, what string) ([]refMember, *FieldError) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fieldErr(path, "must be %s, got %s", what, jsonKind(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, refSyntaxErr(path, err)
	}
	var ms []refMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, refSyntaxErr(path, err)
		}
		name, _ := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, refSyntaxErr(join(path, name), err)
		}
		ms = append(ms, refMember{name: name, value: v})
	}
	return ms, nil
}

// refElements splits a JSON array into its refElements.
func refElements(raw json.RawMessage, path, what string) ([]json.RawMessage, *FieldError) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, fieldErr(path, "must be %s, got %s", what, jsonKind(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, refSyntaxErr(path, err)
	}
	var es []json.RawMessage
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, refSyntaxErr(path+"["+strconv.Itoa(len(es))+"]", err)
		}
		es = append(es, v)
	}
	return es, nil
}

// refDecodeReport decodes one report object found at path.
func refDecodeReport(raw json.RawMessage, path string, receivedAt time.Time) (model.KPMReport, error) {
	r := model.KPMReport{ReceivedAt: receivedAt}
	ms, ferr := refMembers(raw, path, "a report object")
	if ferr != nil {
		return r, ferr
	}
	seen := make(map[string]bool, len(ms))
	var haveMeasurements bool
	for _, m := range ms {
		field := join(path, m.name)
		if seen[m.name] {
			return r, fieldErr(field, "duplicate refMember")
		}
		seen[m.name] = true
		var err *FieldError
		switch m.name {
		case "nodeId":
			r.NodeID, err = refDecodeID(m.value, field)
		case "cellId":
			r.CellID, err = refDecodeID(m.value, field)
		case "collectStartTime":
			r.CollectStart, err = refDecodeTime(m.value, field)
		case "granularityPeriodMs":
			r.GranularityPeriod, err = refDecodeGranularity(m.value, field)
		case "measurements":
			haveMeasurements = true
			r.Measurements, err = refDecodeMeasurements(m.value, field)
		default:
			err = fieldErr(field, "unknown field (want nodeId, cellId, collectStartTime, granularityPeriodMs, measurements)")
		}
		if err != nil {
			return r, err
		}
	}
	switch {
	case !seen["nodeId"]:
		return r, fieldErr(join(path, "nodeId"), "required")
	case !seen["cellId"]:
		return r, fieldErr(join(path, "cellId"), "required")
	case !seen["collectStartTime"]:
		return r, fieldErr(join(path, "collectStartTime"), "required (RFC 3339)")
	case !haveMeasurements:
		return r, fieldErr(join(path, "measurements"), "required (an array, possibly empty)")
	}
	return r, nil
}

// refDecodeString decodes a JSON string.
func refDecodeString(raw json.RawMessage, field string) (string, *FieldError) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", fieldErr(field, "must be a string, got %s", jsonKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", refSyntaxErr(field, err)
	}
	return s, nil
}

// refDecodeID decodes a node, cell or measurement id: a non-empty string of
// at most maxIDBytes bytes without control characters (ids become
// Prometheus label values and URL path segments).
func refDecodeID(raw json.RawMessage, field string) (string, *FieldError) {
	s, err := refDecodeString(raw, field)
	if err != nil {
		return "", err
	}
	if msg := checkID(s); msg != "" {
		return "", fieldErr(field, "%s", msg)
	}
	return s, nil
}

// refDecodeTime decodes an RFC 3339 timestamp between 1970 and 2200 (the range
// in which nanoseconds since the epoch fit an int64 with room to spare).
func refDecodeTime(raw json.RawMessage, field string) (time.Time, *FieldError) {
	s, ferr := refDecodeString(raw, field)
	if ferr != nil {
		return time.Time{}, ferr
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr(field, "not an RFC 3339 timestamp: %q", s)
	}
	if !inTimeRange(t) {
		return time.Time{}, fieldErr(field, "%q is outside 1970..2200", s)
	}
	return t.UTC(), nil
}

// refDecodeGranularity decodes granularityPeriodMs: an integer in
// 1..4294967295 (E2SM-KPM's GranularityPeriod).
func refDecodeGranularity(raw json.RawMessage, field string) (time.Duration, *FieldError) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, fieldErr(field, "must be a positive integer (milliseconds), got %s", jsonKind(raw))
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fieldErr(field, "must be a positive integer (milliseconds), got %s", raw)
	}
	if ms <= 0 || ms > maxGranularityMs {
		return 0, fieldErr(field, "must be in 1..%d milliseconds, got %d", int64(maxGranularityMs), ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// refDecodeMeasurements decodes the measurements array, leaving out the
// entries that carry no value.
func refDecodeMeasurements(raw json.RawMessage, field string) ([]model.Measurement, *FieldError) {
	es, ferr := refElements(raw, field, "an array of measurements")
	if ferr != nil {
		return nil, ferr
	}
	if len(es) > maxMeasurements {
		return nil, fieldErr(field, "more than %d measurements", maxMeasurements)
	}
	out := make([]model.Measurement, 0, len(es))
	first := make(map[string]int, len(es))
	for i, e := range es {
		path := field + "[" + strconv.Itoa(i) + "]"
		m, ok, ferr := refDecodeMeasurement(e, path)
		if ferr != nil {
			return nil, ferr
		}
		if j, dup := first[m.Name]; dup {
			return nil, fieldErr(path+".name", "duplicate measurement %q (first at %s[%d])", m.Name, field, j)
		}
		first[m.Name] = i
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// refDecodeMeasurement decodes one {"name","value"|"noValue"} entry; ok is
// false when it carries no value.
func refDecodeMeasurement(raw json.RawMessage, path string) (m model.Measurement, ok bool, _ *FieldError) {
	ms, ferr := refMembers(raw, path, "a measurement object")
	if ferr != nil {
		return m, false, ferr
	}
	var (
		haveName, haveValue, haveNoValue bool
		noValue, null                    bool
		value                            float64
	)
	for _, mem := range ms {
		field := join(path, mem.name)
		switch mem.name {
		case "name":
			if haveName {
				return m, false, fieldErr(field, "duplicate refMember")
			}
			haveName = true
			if m.Name, ferr = refDecodeID(mem.value, field); ferr != nil {
				return m, false, ferr
			}
			if strings.IndexFunc(m.Name, unicode.IsSpace) >= 0 {
				return m, false, fieldErr(field, "must not contain white space (3GPP TS 28.552 names such as RRU.PrbUsedDl)")
			}
		case "value":
			if haveValue {
				return m, false, fieldErr(field, "duplicate refMember")
			}
			haveValue = true
			if string(mem.value) == "null" {
				null = true
				continue
			}
			if value, ferr = refDecodeValue(mem.value, field); ferr != nil {
				return m, false, ferr
			}
		case "noValue":
			if haveNoValue {
				return m, false, fieldErr(field, "duplicate refMember")
			}
			haveNoValue = true
			switch string(mem.value) {
			case "true":
				noValue = true
			case "false":
			default:
				return m, false, fieldErr(field, "must be a boolean, got %s", jsonKind(mem.value))
			}
		default:
			return m, false, fieldErr(field, "unknown field (want name, value, noValue)")
		}
	}
	switch {
	case !haveName:
		return m, false, fieldErr(join(path, "name"), "required")
	case noValue && haveValue && !null:
		return m, false, fieldErr(join(path, "value"), "given together with \"noValue\": true")
	case noValue || null:
		return m, false, nil
	case !haveValue:
		return m, false, fieldErr(join(path, "value"), "required (or \"noValue\": true)")
	}
	m.Value = value
	return m, true, nil
}

// refDecodeValue decodes a measurement value: a finite, non-negative JSON
// number (TS 28.552 counters and gauges are never negative).
func refDecodeValue(raw json.RawMessage, field string) (float64, *FieldError) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, fieldErr(field, "must be a number or null, got %s", jsonKind(raw))
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fieldErr(field, "not a finite number: %s", raw)
	}
	if v < 0 {
		return 0, fieldErr(field, "must not be negative, got %s", raw)
	}
	if v == 0 {
		v = 0 // -0 becomes 0
	}
	return v, nil
}
