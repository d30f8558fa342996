package kpm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nephoran/nephoran/watcher/model"
)

// Bounds of a pushed report. They keep one producer from growing the
// aggregator without limit; real E2 nodes stay far below them.
const (
	// maxIDBytes bounds nodeId, cellId and measurement names.
	maxIDBytes = 256
	// maxMeasurements bounds the measurements of one report.
	maxMeasurements = 1024
	// maxGranularityMs is E2SM-KPM's GranularityPeriod upper bound
	// (INTEGER (1..4294967295), milliseconds).
	maxGranularityMs = 4294967295
)

// FieldError is a refused report body: Field is the JSON path of the value
// at fault, relative to the body ("[2].measurements[0].value" in an array
// body, "measurements[0].value" in a single-report body, empty when the body
// as a whole is at fault), Message says what is wrong with it. The HTTP
// handler answers it as 400 {"error":{"field":..,"message":..}}.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// DecodeReports decodes a push body: one report object, or a top-level JSON
// array of them, shaped like E2SM-KPM Indication Message Format 1:
//
//	{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z",
//	 "granularityPeriodMs":1000,
//	 "measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","noValue":true}]}
//
// Decoding is strict and all-or-nothing: an unknown or duplicate member, a
// missing nodeId, cellId, collectStartTime or measurements, a granularity
// that is not a positive integer, a value that is not a finite non-negative
// number, or a duplicate measurement name refuses the whole body with a
// *FieldError naming the first value at fault. Entries with "noValue": true
// or "value": null carry no sample and are left out of the result (they are
// never read as zero). receivedAt becomes each report's ReceivedAt.
//
// It reads the body in one pass without building a generic tree (a few
// hundred nanoseconds per report); decode_reference_test.go holds a plain
// encoding/json version of the same contract that the fuzz test compares
// it with.
func DecodeReports(body []byte, receivedAt time.Time) ([]model.KPMReport, error) {
	if !utf8.Valid(body) {
		return nil, fieldErr("", "body is not valid UTF-8")
	}
	d := &decoder{
		buf:        body,
		receivedAt: receivedAt,
		// A measurement entry takes ~20 to 50 bytes; one backing array
		// for all reports' measurements saves an allocation per report.
		ms: make([]model.Measurement, 0, len(body)/40+1),
	}
	reports, err := d.body()
	if err != nil {
		return nil, err
	}
	return reports, nil
}

// decoder reads one body. Its zero-copy views into buf live only while it
// decodes; everything it returns is copied or interned.
type decoder struct {
	buf        []byte
	pos        int
	receivedAt time.Time
	// ms is the backing array of the reports' Measurements.
	ms []model.Measurement
	// strs interns ids and names: a body repeats them (a node's cells, a
	// fleet's measurement names), and the aggregator keeps them.
	strs map[string]string
	// lastTime caches the previous collectStartTime (a batch mostly shares one).
	lastTimeRaw []byte
	lastTime    time.Time
	// names are the current report's measurement names, for duplicates;
	// nameIdx takes over beyond a few dozen.
	names   []string
	nameIdx map[string]int
}

const maxInterned = 1 << 14

func (d *decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.strs == nil {
		// A one-report body interns a handful of strings: size the map
		// by the body (a report takes ~250 bytes) so it costs no more.
		d.strs = make(map[string]string, min(64, len(d.buf)/256))
	}
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

func (d *decoder) ws() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek is the next byte, 0 at the end of the body.
func (d *decoder) peek() byte {
	if d.pos < len(d.buf) {
		return d.buf[d.pos]
	}
	return 0
}

// where locates a value for error messages. Paths are built only when
// an error needs one, so decoding a valid body builds none.
type where struct {
	report int // index in an array body; -1 for a single-object body
	meas   int // index in measurements; -1 outside them
}

// path is the JSON path of member (empty: the located value itself).
func (w where) path(member string) string {
	var p string
	if w.report >= 0 {
		p = "[" + strconv.Itoa(w.report) + "]"
	}
	if w.meas >= 0 {
		p = join(p, "measurements") + "[" + strconv.Itoa(w.meas) + "]"
	}
	if member == "" {
		return p
	}
	return join(p, member)
}

// syntax reports the byte at pos as invalid JSON, at field.
func (d *decoder) syntax(field string) *FieldError {
	if d.pos >= len(d.buf) {
		return fieldErr(field, "invalid JSON: unexpected end of body")
	}
	r, _ := utf8.DecodeRune(d.buf[d.pos:])
	return fieldErr(field, "invalid JSON: unexpected %q at byte %d", r, d.pos)
}

// wrongType reports the value at pos as not what field wants: a type
// error when a JSON value starts there, a syntax error otherwise.
func (d *decoder) wrongType(field, want string) *FieldError {
	switch c := d.peek(); c {
	case '{', '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return fieldErr(field, "must be %s, got %s", want, jsonKind([]byte{c}))
	}
	return d.syntax(field)
}

// literal consumes lit (true, false, null); false when it is not there.
func (d *decoder) literal(lit string) bool {
	if !bytes.HasPrefix(d.buf[d.pos:], []byte(lit)) {
		return false
	}
	d.pos += len(lit)
	return true
}

// str reads the string at pos (which is '"'): a view into buf when it has
// no escapes, else its decoded bytes. Its error has no Field yet.
func (d *decoder) str() ([]byte, *FieldError) {
	start := d.pos + 1
	for i := start; i < len(d.buf); i++ {
		switch c := d.buf[i]; {
		case c == '"':
			d.pos = i + 1
			return d.buf[start:i], nil
		case c == '\\':
			return d.escaped()
		case c < 0x20:
			d.pos = i
			return nil, fieldErr("", "invalid JSON: control character %q in a string at byte %d", c, i)
		}
	}
	d.pos = len(d.buf)
	return nil, d.syntax("")
}

// escaped reads a string with escapes through encoding/json (rare in
// reports; it knows every escape and surrogate rule).
func (d *decoder) escaped() ([]byte, *FieldError) {
	i := d.pos + 1
	for i < len(d.buf) && d.buf[i] != '"' {
		if d.buf[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(d.buf) {
		d.pos = len(d.buf)
		return nil, d.syntax("")
	}
	var s string
	if err := json.Unmarshal(d.buf[d.pos:i+1], &s); err != nil {
		return nil, fieldErr("", "invalid JSON: bad string at byte %d: %v", d.pos, err)
	}
	d.pos = i + 1
	return []byte(s), nil
}

// strAt reads the string at pos for field w.path(member).
func (d *decoder) strAt(w where, member string) ([]byte, *FieldError) {
	if d.peek() != '"' {
		return nil, d.wrongType(w.path(member), "a string")
	}
	b, err := d.str()
	if err != nil {
		err.Field = w.path(member)
	}
	return b, err
}

// number reads a JSON number token at pos; ok is false when none starts
// there or it breaks the grammar.
func (d *decoder) number() (tok []byte, ok bool) {
	b, i := d.buf, d.pos
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	tok, d.pos = b[d.pos:i], i
	return tok, true
}

// after consumes white space and then ',' (more is true) or close (more
// is false); ok is false, with pos at the byte, for anything else.
func (d *decoder) after(close byte) (more, ok bool) {
	d.ws()
	switch d.peek() {
	case ',':
		d.pos++
		return true, true
	case close:
		d.pos++
		return false, true
	}
	return false, false
}

// body decodes the top-level value.
func (d *decoder) body() ([]model.KPMReport, *FieldError) {
	d.ws()
	var reports []model.KPMReport
	switch d.peek() {
	case 0:
		return nil, fieldErr("", "empty body: want a report object or an array of report objects")
	case '{':
		r, err := d.report(where{report: -1, meas: -1})
		if err != nil {
			return nil, err
		}
		reports = []model.KPMReport{r}
	case '[':
		d.pos++
		d.ws()
		if d.peek() == ']' {
			d.pos++
			if d.ws(); d.pos != len(d.buf) {
				return nil, fieldErr("", "unexpected data after the top-level value")
			}
			return nil, fieldErr("", "empty array: want at least one report")
		}
		reports = make([]model.KPMReport, 0, len(d.buf)/256+1)
		for i := 0; ; i++ {
			d.ws()
			w := where{report: i, meas: -1}
			if d.peek() != '{' {
				return nil, d.wrongType(w.path(""), "a report object")
			}
			r, err := d.report(w)
			if err != nil {
				return nil, err
			}
			reports = append(reports, r)
			more, ok := d.after(']')
			if !ok {
				return nil, d.syntax("")
			}
			if !more {
				break
			}
		}
	default:
		return nil, d.wrongType("", "a report object or an array of report objects")
	}
	if d.ws(); d.pos != len(d.buf) {
		return nil, fieldErr("", "unexpected data after the top-level value")
	}
	return reports, nil
}

// Members of a report, as bits for duplicate detection.
const (
	hasNodeID = 1 << iota
	hasCellID
	hasStart
	hasGranularity
	hasMeasurements
)

// members walks the object at pos (which is '{'), calling member with
// each name, positioned at its value.
func (d *decoder) members(w where, member func(name []byte) *FieldError) *FieldError {
	d.pos++
	d.ws()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return d.syntax(w.path(""))
		}
		name, err := d.str()
		if err != nil {
			err.Field = w.path("")
			return err
		}
		if d.ws(); d.peek() != ':' {
			return d.syntax(w.path(string(name)))
		}
		d.pos++
		d.ws()
		if err := member(name); err != nil {
			return err
		}
		more, ok := d.after('}')
		if !ok {
			return d.syntax(w.path(""))
		}
		if !more {
			return nil
		}
	}
}

// report decodes the report object at pos.
func (d *decoder) report(w where) (model.KPMReport, *FieldError) {
	r := model.KPMReport{ReceivedAt: d.receivedAt}
	var seen int
	once := func(bit int, name string) *FieldError {
		if seen&bit != 0 {
			return fieldErr(w.path(name), "duplicate member")
		}
		seen |= bit
		return nil
	}
	err := d.members(w, func(name []byte) *FieldError {
		var err *FieldError
		switch string(name) {
		case "nodeId":
			if err = once(hasNodeID, "nodeId"); err == nil {
				r.NodeID, err = d.id(w, "nodeId")
			}
		case "cellId":
			if err = once(hasCellID, "cellId"); err == nil {
				r.CellID, err = d.id(w, "cellId")
			}
		case "collectStartTime":
			if err = once(hasStart, "collectStartTime"); err == nil {
				r.CollectStart, err = d.time(w)
			}
		case "granularityPeriodMs":
			if err = once(hasGranularity, "granularityPeriodMs"); err == nil {
				r.GranularityPeriod, err = d.granularity(w)
			}
		case "measurements":
			if err = once(hasMeasurements, "measurements"); err == nil {
				r.Measurements, err = d.measurements(w)
			}
		default:
			err = fieldErr(w.path(string(name)), "unknown field (want nodeId, cellId, collectStartTime, granularityPeriodMs, measurements)")
		}
		return err
	})
	if err != nil {
		return r, err
	}
	switch {
	case seen&hasNodeID == 0:
		return r, fieldErr(w.path("nodeId"), "required")
	case seen&hasCellID == 0:
		return r, fieldErr(w.path("cellId"), "required")
	case seen&hasStart == 0:
		return r, fieldErr(w.path("collectStartTime"), "required (RFC 3339)")
	case seen&hasMeasurements == 0:
		return r, fieldErr(w.path("measurements"), "required (an array, possibly empty)")
	}
	return r, nil
}

// id decodes a node, cell or measurement id (see checkID), interned.
func (d *decoder) id(w where, member string) (string, *FieldError) {
	b, err := d.strAt(w, member)
	if err != nil {
		return "", err
	}
	if !plainID(b) {
		if msg := checkID(string(b)); msg != "" {
			return "", fieldErr(w.path(member), "%s", msg)
		}
	}
	return d.intern(b), nil
}

// hasSpace says s contains white space; ASCII is checked byte by byte
// (control characters are already refused), the rest by unicode.IsSpace.
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			return true
		case c >= utf8.RuneSelf:
			return strings.IndexFunc(s[i:], unicode.IsSpace) >= 0
		}
	}
	return false
}

// plainID is checkID's fast path: 1..maxIDBytes printable ASCII bytes.
func plainID(b []byte) bool {
	if len(b) == 0 || len(b) > maxIDBytes {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// time decodes collectStartTime.
func (d *decoder) time(w where) (time.Time, *FieldError) {
	b, err := d.strAt(w, "collectStartTime")
	if err != nil {
		return time.Time{}, err
	}
	if d.lastTimeRaw != nil && bytes.Equal(b, d.lastTimeRaw) {
		return d.lastTime, nil
	}
	t, err := parseTime(string(b))
	if err != nil {
		err.Field = w.path("collectStartTime")
		return time.Time{}, err
	}
	d.lastTimeRaw, d.lastTime = b, t
	return t, nil
}

// parseTime parses an RFC 3339 timestamp between 1970 and 2200 (the range
// in which nanoseconds since the epoch fit an int64 with room to spare).
func parseTime(s string) (time.Time, *FieldError) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr("", "not an RFC 3339 timestamp: %q", s)
	}
	if !inTimeRange(t) {
		return time.Time{}, fieldErr("", "%q is outside 1970..2200", s)
	}
	return t.UTC(), nil
}

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func inTimeRange(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

// granularity decodes granularityPeriodMs: an integer in 1..4294967295
// (E2SM-KPM's GranularityPeriod).
func (d *decoder) granularity(w where) (time.Duration, *FieldError) {
	tok, ok := d.number()
	if !ok {
		return 0, d.wrongType(w.path("granularityPeriodMs"), "a positive integer (milliseconds)")
	}
	ms, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		return 0, fieldErr(w.path("granularityPeriodMs"), "must be a positive integer (milliseconds), got %s", tok)
	}
	if ms <= 0 || ms > maxGranularityMs {
		return 0, fieldErr(w.path("granularityPeriodMs"), "must be in 1..%d milliseconds, got %d", int64(maxGranularityMs), ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// measurements decodes the measurements array of the report at w,
// leaving out the entries that carry no value.
func (d *decoder) measurements(w where) ([]model.Measurement, *FieldError) {
	if d.peek() != '[' {
		return nil, d.wrongType(w.path("measurements"), "an array of measurements")
	}
	d.pos++
	d.names = d.names[:0]
	clear(d.nameIdx)
	start := len(d.ms)
	d.ws()
	if d.peek() == ']' {
		d.pos++
	} else {
		for i := 0; ; i++ {
			if i == maxMeasurements {
				return nil, fieldErr(w.path("measurements"), "more than %d measurements", maxMeasurements)
			}
			d.ws()
			mw := where{report: w.report, meas: i}
			if d.peek() != '{' {
				return nil, d.wrongType(mw.path(""), "a measurement object")
			}
			if err := d.measurement(mw); err != nil {
				return nil, err
			}
			more, ok := d.after(']')
			if !ok {
				return nil, d.syntax(w.path("measurements"))
			}
			if !more {
				break
			}
		}
	}
	n := len(d.ms)
	return d.ms[start:n:n], nil
}

// measurement decodes one entry, appending it to d.ms when it has a value.
func (d *decoder) measurement(w where) *FieldError {
	var (
		name                             string
		haveName, haveValue, haveNoValue bool
		noValue, null                    bool
		value                            float64
	)
	err := d.members(w, func(member []byte) *FieldError {
		switch string(member) {
		case "name":
			if haveName {
				return fieldErr(w.path("name"), "duplicate member")
			}
			haveName = true
			var err *FieldError
			if name, err = d.id(w, "name"); err != nil {
				return err
			}
			if hasSpace(name) {
				return fieldErr(w.path("name"), "must not contain white space (3GPP TS 28.552 names such as RRU.PrbUsedDl)")
			}
		case "value":
			if haveValue {
				return fieldErr(w.path("value"), "duplicate member")
			}
			haveValue = true
			if d.peek() == 'n' {
				null = true
				if !d.literal("null") {
					return d.syntax(w.path("value"))
				}
				return nil
			}
			tok, ok := d.number()
			if !ok {
				return d.wrongType(w.path("value"), "a number or null")
			}
			v, err := strconv.ParseFloat(string(tok), 64)
			switch {
			case err != nil:
				return fieldErr(w.path("value"), "not a finite number: %s", tok)
			case v < 0:
				return fieldErr(w.path("value"), "must not be negative, got %s", tok)
			case v == 0:
				v = 0 // -0 becomes 0
			}
			value = v
		case "noValue":
			if haveNoValue {
				return fieldErr(w.path("noValue"), "duplicate member")
			}
			haveNoValue = true
			switch {
			case d.peek() == 't' && d.literal("true"):
				noValue = true
			case d.peek() == 'f' && d.literal("false"):
			case d.peek() == 't' || d.peek() == 'f':
				return d.syntax(w.path("noValue"))
			default:
				return d.wrongType(w.path("noValue"), "a boolean")
			}
		default:
			return fieldErr(w.path(string(member)), "unknown field (want name, value, noValue)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case !haveName:
		return fieldErr(w.path("name"), "required")
	case noValue && haveValue && !null:
		return fieldErr(w.path("value"), "given together with \"noValue\": true")
	case !noValue && !null && !haveValue:
		return fieldErr(w.path("value"), "required (or \"noValue\": true)")
	}
	if j, dup := d.seenName(name, w.meas); dup {
		first := where{report: w.report, meas: j}
		return fieldErr(w.path("name"), "duplicate measurement %q (first at %s)", name, first.path(""))
	}
	if !noValue && !null {
		d.ms = append(d.ms, model.Measurement{Name: name, Value: value})
	}
	return nil
}

// seenName records name as entry i of the current report; dup says an
// earlier entry j had it.
func (d *decoder) seenName(name string, i int) (j int, dup bool) {
	const linear = 32
	if len(d.names) < linear {
		for j, n := range d.names {
			if n == name {
				return j, true
			}
		}
		d.names = append(d.names, name)
		return 0, false
	}
	if len(d.nameIdx) == 0 {
		if d.nameIdx == nil {
			d.nameIdx = make(map[string]int, 2*linear)
		}
		for j, n := range d.names {
			d.nameIdx[n] = j
		}
	}
	if j, dup := d.nameIdx[name]; dup {
		return j, true
	}
	d.nameIdx[name] = i
	return 0, false
}

// join appends a member name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonKind names the JSON type of a raw value by its first byte, for
// messages.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// checkID validates a node, cell or measurement id: a non-empty string of
// at most maxIDBytes bytes of valid UTF-8 without control characters (ids
// become Prometheus label values and URL path segments). It returns what is
// wrong, or "".
func checkID(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case len(s) > maxIDBytes:
		return fmt.Sprintf("longer than %d bytes", maxIDBytes)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}
