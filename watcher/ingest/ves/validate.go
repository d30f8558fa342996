package ves

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/nephoran/nephoran/internal/vesschema"
	"github.com/nephoran/nephoran/watcher/model"
)

// schemaJSON is the official VES 7.2.1 Common Event Format schema, embedded
// in internal/vesschema (see its SOURCES.md).
var schemaJSON = vesschema.JSON

const (
	schemaURL = "https://nephoran.com/ves/CommonEventFormat_30.2.1_ONAP.json"

	domainStndDefined = "stndDefined"
	// invalidDomain is the ves_events_total label for anything that is not
	// one of the schema's domains.
	invalidDomain = "invalid"
)

// endpoint is one of the listener's resources; its value is the `endpoint`
// label of ves_request_duration_seconds.
type endpoint string

const (
	// endpointEvent is POST /eventListener/v7, body {"event":{...}}.
	endpointEvent endpoint = "event"
	// endpointBatch is POST /eventListener/v7/eventBatch, body {"eventList":[...]}.
	endpointBatch endpoint = "eventBatch"
	// endpointWebhook is POST /api/v1/fcaps/events, either body.
	endpointWebhook endpoint = "webhook"
)

// validator decides, without HTTP, whether a request body is acceptable, in
// strict or lenient mode: it is the one place that knows the rules. It is
// safe for concurrent use.
type validator struct {
	schema *jsonschema.Schema
	// header and event are the schema's commonEventHeader and event
	// definitions, which lenient mode applies one event at a time.
	header, event *jsonschema.Schema
	domains       map[string]bool // the schema's commonEventHeader.domain enum
	printer       *message.Printer
	// fast is the strict-mode fast accept path (fastpath.go): when it says a
	// body is certainly valid the library is skipped; otherwise the library
	// decides and words the refusal. nil turns it off (tests compare both).
	fast *fastValidator
}

// newValidator compiles the embedded schema (draft-04, format assertions on).
func newValidator() (*validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("parse embedded VES schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("add embedded VES schema: %w", err)
	}
	v := &validator{printer: message.NewPrinter(language.English)}
	for _, s := range []struct {
		ref string
		to  **jsonschema.Schema
	}{{schemaURL, &v.schema}, {schemaURL + "#/definitions/commonEventHeader", &v.header}, {schemaURL + "#/definitions/event", &v.event}} {
		if *s.to, err = c.Compile(s.ref); err != nil {
			return nil, fmt.Errorf("compile embedded VES schema %s: %w", s.ref, err)
		}
	}
	if v.domains, err = schemaDomains(doc); err != nil {
		return nil, err
	}
	if v.fast, err = newFastValidator(doc); err != nil {
		return nil, err
	}
	return v, nil
}

// schemaDomains reads definitions.commonEventHeader.properties.domain.enum.
func schemaDomains(doc any) (map[string]bool, error) {
	v := doc
	for _, k := range []string{"definitions", "commonEventHeader", "properties", "domain", "enum"} {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("embedded VES schema has no commonEventHeader domain enum")
		}
		v = m[k]
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("embedded VES schema has no commonEventHeader domain enum")
	}
	domains := make(map[string]bool, len(list))
	for _, d := range list {
		s, ok := d.(string)
		if !ok {
			return nil, fmt.Errorf("embedded VES schema: domain enum value %v is not a string", d)
		}
		domains[s] = true
	}
	return domains, nil
}

// domainLabel is the ves_events_total domain label of a domain as sent: one
// of the schema's domains, otherwise "invalid" (never the string sent).
func (v *validator) domainLabel(domain string) string {
	if v.domains[domain] {
		return domain
	}
	return invalidDomain
}

// checked is the outcome of validate for one request.
type checked struct {
	// events has one entry per event element found in the body (also when
	// the request is refused, so each can be counted under its domain);
	// ReceivedAt is left for the listener to set.
	events []model.Event
	// err is the refusal, nil when every event is accepted.
	err *apiError
}

// validate is check in strict mode.
func (v *validator) validate(ep endpoint, body []byte) checked { return v.check(ep, body, false) }

// validateLenient is check in lenient mode.
func (v *validator) validateLenient(ep endpoint, body []byte) checked {
	return v.check(ep, body, true)
}

// check decodes body as the request body of ep and applies, in the ONAP
// collector's order: JSON, envelope, schema, stndDefinedNamespace, batch
// consistency. Strict mode validates the whole body against the schema;
// lenient mode normalizes and validates each event's commonEventHeader
// only (see lenient.go). In strict mode a body the fast path (fastpath.go)
// finds certainly valid skips the library; every other body is validated by
// the library, which words any refusal. It never panics and its work is
// linear in len(body).
func (v *validator) check(ep endpoint, body []byte, lenient bool) checked {
	doc, err := decode(body)
	if err != nil {
		return checked{err: errInvalidJSON(err.Error())}
	}
	out := checked{events: make([]model.Event, 0, len(doc.events))}
	for _, re := range doc.events {
		out.events = append(out.events, toEvent(re))
	}
	if e := envelope(ep, doc); e != nil {
		out.err = e
		return out
	}
	if lenient {
		if e := v.lenientEvents(doc, out.events); e != nil {
			out.err = e
			return out
		}
	} else if !v.fast.accepts(doc.value) {
		// Not certainly valid: the library decides and words any refusal.
		if verr := v.schema.Validate(doc.value); verr != nil {
			out.err = schemaError(verr, v.printer)
			return out
		}
	}
	if doc.hasEventList && len(doc.events) == 0 {
		out.err = errEnvelope("/eventList", "must hold at least one event")
		return out
	}
	for i, ev := range out.events {
		if ev.Domain != domainStndDefined {
			continue
		}
		ptr := doc.events[i].pointer + "/commonEventHeader/stndDefinedNamespace"
		if _, ok := header(doc.events[i].value)["stndDefinedNamespace"]; !ok {
			out.err = errNamespaceMissing(ptr)
			return out
		}
		if ev.StndDefinedNamespace == "" {
			out.err = errNamespaceEmpty(ptr)
			return out
		}
	}
	for i := 1; i < len(out.events); i++ {
		ev, first := out.events[i], out.events[0]
		ptr := doc.events[i].pointer + "/commonEventHeader"
		if ev.Domain != first.Domain {
			out.err = errBatchDomains(ptr + "/domain")
			return out
		}
		if ev.Domain == domainStndDefined && ev.StndDefinedNamespace != first.StndDefinedNamespace {
			out.err = errBatchNamespaces(ptr + "/stndDefinedNamespace")
			return out
		}
	}
	for i := range out.events {
		if out.events[i].Result == model.Lenient {
			continue
		}
		out.events[i].Result = model.Accepted
		if out.events[i].Domain == domainStndDefined {
			// data is not checked against the 3GPP schema its
			// schemaReference names: none is shipped.
			out.events[i].Result = model.StndDefinedUnvalidated
		}
	}
	return out
}

// envelope checks the top level: the single endpoint takes {"event":..}, the
// batch endpoint {"eventList":[..]}, the webhook either, never both (the
// schema alone accepts either, and also neither).
func envelope(ep endpoint, doc *document) *apiError {
	if _, ok := doc.value.(map[string]any); !ok {
		return errInvalidJSON("the top-level value must be an object")
	}
	if ep == endpointWebhook {
		route := "POST " + PathWebhook
		switch {
		case !doc.hasEvent && !doc.hasEventList:
			return errEnvelope("/event", "or /eventList is required by "+route)
		case doc.hasEvent && doc.hasEventList:
			return errEnvelope("/eventList", "is not allowed with /event by "+route)
		}
		return nil
	}
	want, other := "/event", "/eventList"
	if ep == endpointBatch {
		want, other = other, want
	}
	hasWant, hasOther := doc.hasEvent, doc.hasEventList
	if ep == endpointBatch {
		hasWant, hasOther = hasOther, hasWant
	}
	route := "POST /eventListener/v7"
	if ep == endpointBatch {
		route += "/eventBatch"
	}
	switch {
	case !hasWant:
		return errEnvelope(want, "is required by "+route)
	case hasOther:
		return errEnvelope(other, "is not allowed by "+route)
	}
	return nil
}

// schemaError picks the first failing field of a validation error: among
// the leaves of its tree (the library visits object members in map order),
// the one whose JSON pointer sorts first, so the answer is deterministic.
func schemaError(err error, p *message.Printer) *apiError {
	return schemaErrorAt(nil, err, p)
}

// schemaErrorAt is schemaError for a value validated on its own, found at
// the reference tokens at in the body.
func schemaErrorAt(at []string, err error, p *message.Printer) *apiError {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return errSchema(pointerOf(at), err.Error())
	}
	type leaf struct {
		ptr    []string
		reason string
	}
	var leaves []leaf
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		ptr := append(slices.Clip(at), e.InstanceLocation...)
		// Name the member itself for a missing or unexpected member.
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			if len(k.Missing) > 0 {
				ptr = append(ptr, slices.Min(k.Missing))
			}
		case *kind.AdditionalProperties:
			if len(k.Properties) > 0 {
				ptr = append(ptr, slices.Min(k.Properties))
			}
		}
		leaves = append(leaves, leaf{ptr: ptr, reason: e.ErrorKind.LocalizedString(p)})
	}
	walk(verr)
	if len(leaves) == 0 {
		return errSchema(pointerOf(at), verr.Error())
	}
	best := slices.MinFunc(leaves, func(a, b leaf) int {
		if c := comparePointers(a.ptr, b.ptr); c != 0 {
			return c
		}
		return strings.Compare(a.reason, b.reason)
	})
	return errSchema(pointerOf(best.ptr), best.reason)
}

// comparePointers orders reference tokens element by element, array
// indices numerically.
func comparePointers(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		ai, aerr := strconv.Atoi(a[i])
		bi, berr := strconv.Atoi(b[i])
		if aerr == nil && berr == nil {
			return ai - bi
		}
		return strings.Compare(a[i], b[i])
	}
	return len(a) - len(b)
}

// toEvent copies the indexed fields out of one event element. It tolerates
// any shape: on a refused request it is only used for metric labels.
func toEvent(re rawEvent) model.Event {
	h := header(re.value)
	ev := model.Event{
		Domain:               str(h["domain"]),
		EventID:              str(h["eventId"]),
		EventName:            str(h["eventName"]),
		SourceName:           str(h["sourceName"]),
		ReportingEntityName:  str(h["reportingEntityName"]),
		Priority:             str(h["priority"]),
		StartEpochMicrosec:   epoch(h["startEpochMicrosec"]),
		LastEpochMicrosec:    epoch(h["lastEpochMicrosec"]),
		StndDefinedNamespace: str(h["stndDefinedNamespace"]),
		Raw:                  json.RawMessage(re.raw),
	}
	obj, _ := re.value.(map[string]any)
	switch ev.Domain {
	case "fault":
		ev.Severity = str(member(obj["faultFields"], "eventSeverity"))
	case "thresholdCrossingAlert":
		ev.Severity = str(member(obj["thresholdCrossingAlertFields"], "eventSeverity"))
	}
	return ev
}

func header(event any) map[string]any {
	h, _ := member(event, "commonEventHeader").(map[string]any)
	return h
}

func member(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// epoch reads an epoch in microseconds. The schema types it "number", so
// fractions are truncated and values beyond int64 are clamped.
func epoch(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	switch {
	case err != nil && !math.IsInf(f, 0):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	case math.IsNaN(f):
		return 0
	}
	return int64(f)
}
