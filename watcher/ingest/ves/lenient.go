package ves

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nephoran/nephoran/watcher/model"
)

// Lenient mode is for VES 5-era producers, whose events the 7.2.1 schema
// refuses for their form rather than their content. For each event it:
//
//  1. normalizes a copy of commonEventHeader: epochs become integer
//     microseconds (also from JSON strings, and from 13-digit values, which
//     are milliseconds); a numeric version or vesEventListenerVersion
//     becomes the string it spells; a missing vesEventListenerVersion is
//     read as "7.2.1"; a VES 5 domain (measurementsForVfScaling) is checked
//     as its VES 7 successor (measurement);
//  2. validates that copy against the schema's commonEventHeader
//     definition, and refuses the request (SVC0002, naming the field) if it
//     fails;
//  3. reads the domain block best-effort and never refuses for it: a
//     numeric <domain>FieldsVersion is read as a string, then the event with
//     the normalized header is checked against the schema's event
//     definition, and a failure becomes a deviation, not a refusal;
//  4. records one human line per normalization or domain-block failure in
//     model.Event.Deviations; an event with any deviation is model.Lenient,
//     one without passed the strict schema as sent and stays
//     model.Accepted (or model.StndDefinedUnvalidated).
//
// The request-level rules (envelope, SVC2006, SVC0001) are the strict
// ones. Raw stays the event exactly as received; only the indexed fields of
// model.Event (the epochs) take normalized values.

// ves5Domains maps the VES 5 domain names that VES 7 renamed to the VES 7
// name the header is checked as. The other VES 5 domains kept their names.
var ves5Domains = map[string]string{
	"measurementsForVfScaling": "measurement",
}

// listenerVersion is what a missing vesEventListenerVersion is read as.
const listenerVersion = "7.2.1"

// lenientEvents checks every event of doc in lenient mode, filling in
// events (one per doc.events entry); it returns the first refusal.
func (v *validator) lenientEvents(doc *document, events []model.Event) *apiError {
	if doc.hasEventList {
		if _, ok := doc.value.(map[string]any)["eventList"].([]any); !ok {
			return errSchema("/eventList", "must be an array of events")
		}
	}
	for i, re := range doc.events {
		if e := v.lenientEvent(re, &events[i]); e != nil {
			return e
		}
	}
	return nil
}

// lenientEvent normalizes and checks one event element, setting ev's
// epochs, Deviations and Result when it is acceptable.
func (v *validator) lenientEvent(re rawEvent, ev *model.Event) *apiError {
	at := strings.Split(strings.TrimPrefix(re.pointer, "/"), "/")
	obj, ok := re.value.(map[string]any)
	if !ok {
		return errSchema(re.pointer, fmt.Sprintf("got %s, want object", jsonType(re.value)))
	}
	hv, ok := obj["commonEventHeader"]
	if !ok {
		return errSchema(re.pointer+"/commonEventHeader", "missing property 'commonEventHeader'")
	}
	at = append(at, "commonEventHeader")
	h, ok := hv.(map[string]any)
	if !ok {
		return schemaErrorAt(at, v.header.Validate(hv), v.printer)
	}
	var n normalizer
	nh := n.header(h)
	if err := v.header.Validate(nh); err != nil {
		return schemaErrorAt(at, err, v.printer)
	}

	domain := str(h["domain"])
	block := domain + "Fields"
	nev := maps.Clone(obj)
	nev["commonEventHeader"] = nh
	if b, ok := obj[block].(map[string]any); ok {
		nev[block] = n.block(block, b)
	}
	if _, ves5 := ves5Domains[domain]; ves5 {
		if _, ok := obj[block]; ok {
			n.add("%s: VES 5 domain block kept as sent, not validated", block)
		}
	} else if err := v.event.Validate(nev); err != nil {
		e := schemaErrorAt(nil, err, v.printer)
		field, reason := "", ""
		if len(e.Variables) == 2 {
			field, reason = dotted(e.Variables[0]), e.Variables[1]
		}
		n.add("%s: %s; kept as sent (lenient mode does not validate the domain block)", field, reason)
	}

	ev.StartEpochMicrosec = epoch(nh["startEpochMicrosec"])
	ev.LastEpochMicrosec = epoch(nh["lastEpochMicrosec"])
	ev.Deviations = n.deviations
	if len(n.deviations) > 0 {
		ev.Result = model.Lenient
	}
	return nil
}

// normalizer rewrites copies of an event's parts and records each change.
type normalizer struct {
	deviations []string
}

func (n *normalizer) add(format string, args ...any) {
	n.deviations = append(n.deviations, fmt.Sprintf(format, args...))
}

// header returns a normalized shallow copy of h.
func (n *normalizer) header(h map[string]any) map[string]any {
	nh := maps.Clone(h)
	for _, name := range []string{"startEpochMicrosec", "lastEpochMicrosec"} {
		if val, ok := h[name]; ok {
			nh[name] = n.epoch("commonEventHeader."+name, val)
		}
	}
	for _, name := range []string{"version", "vesEventListenerVersion"} {
		if val, ok := h[name]; ok {
			nh[name] = n.version("commonEventHeader."+name, val)
		}
	}
	if _, ok := h["vesEventListenerVersion"]; !ok {
		nh["vesEventListenerVersion"] = listenerVersion
		n.add("commonEventHeader.vesEventListenerVersion: missing, read as %q", listenerVersion)
	}
	if d, ok := h["domain"].(string); ok {
		if v7, ok := ves5Domains[d]; ok {
			nh["domain"] = v7
			n.add("commonEventHeader.domain: VES 5 domain %q allowed, header checked as domain %q", d, v7)
		}
	}
	return nh
}

// block returns the domain block b, or a copy of it whose numeric field
// version members are strings.
func (n *normalizer) block(name string, b map[string]any) map[string]any {
	var keys []string
	for k, val := range b {
		if _, num := val.(json.Number); num && (strings.HasSuffix(k, "FieldsVersion") || k == "measurementsForVfScalingVersion") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return b
	}
	slices.Sort(keys) // deviations in a stable order
	nb := maps.Clone(b)
	for _, k := range keys {
		nb[k] = n.version(name+"."+k, b[k])
	}
	return nb
}

// version reads a numeric version as the string it spells (4.0 -> "4.0").
func (n *normalizer) version(field string, val any) any {
	num, ok := val.(json.Number)
	if !ok {
		return val
	}
	n.add("%s: number %s read as string %q", field, num, string(num))
	return string(num)
}

// epoch reads an epoch as integer microseconds: a JSON string holding a
// number is read as that number, a fraction is truncated, and a positive
// 13-digit value is milliseconds. Anything else is left for the schema to
// refuse (a string that is no number) or to pass (a number beyond int64,
// which model.Event clamps as strict mode does).
func (n *normalizer) epoch(field string, val any) any {
	var num json.Number
	var sent string
	isString := false
	switch x := val.(type) {
	case json.Number:
		num, sent = x, "number "+clip(x.String())
	case string:
		if !isJSONNumber(x) {
			return val // the schema refuses it, naming the field
		}
		num, sent, isString = json.Number(x), "string "+strconv.Quote(clip(x)), true
	default:
		return val
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	exact := err == nil
	if !exact {
		f, err := num.Float64()
		if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
			// Beyond int64: a number the schema takes and model.Event clamps.
			if isString {
				n.add("%s: %s read as a number", field, sent)
				return num
			}
			return val
		}
		i = int64(f)
	}
	switch {
	case 1e12 <= i && i < 1e13:
		us := i * 1000
		n.add("%s: %s has 13 digits, read as milliseconds: %d microseconds", field, sent, us)
		return json.Number(strconv.FormatInt(us, 10))
	case !exact:
		n.add("%s: %s read as integer microseconds %d", field, sent, i)
	case isString:
		n.add("%s: %s read as integer microseconds", field, sent)
	default:
		return val
	}
	return json.Number(strconv.FormatInt(i, 10))
}

// isJSONNumber says whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	p := &parser{data: []byte(s)}
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	_, err := p.number()
	return err == nil && p.pos == len(s)
}

// dotted renders a JSON pointer relative to an event as a dotted path
// (/faultFields/faultFieldsVersion -> faultFields.faultFieldsVersion).
func dotted(pointer string) string {
	s := strings.TrimPrefix(pointer, "/")
	s = strings.ReplaceAll(s, "/", ".")
	s = strings.ReplaceAll(s, "~1", "/")
	return strings.ReplaceAll(s, "~0", "~")
}

// jsonType names the JSON type of a decoded value as the schema library does.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}
