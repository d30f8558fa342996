package decide

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// VES domains with a fingerprint.
const (
	domainFault = "fault"
	domainTCA   = "thresholdCrossingAlert"
)

// signal is what decide reads of a VES event.
type signal struct {
	domain, source, eventID, seq, eventName string
	severity                                string
	// fingerprint groups the events of one alarm into incidents ("" for
	// domains other than fault and thresholdCrossingAlert).
	fingerprint string
	// clear is a fault with eventSeverity NORMAL, or a TCA with alertAction
	// CLEAR or eventSeverity NORMAL.
	clear      bool
	alertValue string
}

func (sig *signal) exactKey() string {
	return sig.source + "\x00" + sig.eventID + "\x00" + sig.seq
}

// decodeEvent decodes the event object once; nil when it does not decode
// (conditions that read it then fail and are reported).
func decodeEvent(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// field reads a scalar at path as a string: strings as they are, numbers as
// strconv's shortest form, booleans as true/false; "" when absent.
func field(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseSignal reads the header fields from the model.Event (as ingest
// copied them), falling back to the raw event object.
func parseSignal(e *model.Event, raw map[string]any) signal {
	const h = "commonEventHeader"
	sig := signal{
		domain:    firstOf(e.Domain, field(raw, h, "domain")),
		source:    firstOf(e.SourceName, field(raw, h, "sourceName")),
		eventID:   firstOf(e.EventID, field(raw, h, "eventId")),
		seq:       field(raw, h, "sequence"),
		eventName: firstOf(e.EventName, field(raw, h, "eventName")),
	}
	switch sig.domain {
	case domainFault:
		sev := field(raw, "faultFields", "eventSeverity")
		sig.severity = firstOf(e.Severity, sev)
		sig.fingerprint = strings.Join([]string{domainFault, sig.source,
			field(raw, "faultFields", "alarmCondition"), field(raw, "faultFields", "alarmInterfaceA")}, "\x00")
		sig.clear = isNormal(firstOf(sev, e.Severity))
	case domainTCA:
		const f = "thresholdCrossingAlertFields"
		sev := field(raw, f, "eventSeverity")
		sig.severity = firstOf(e.Severity, sev)
		sig.fingerprint = strings.Join([]string{domainTCA, sig.source,
			firstOf(field(raw, f, "alertDescription"), sig.eventName)}, "\x00")
		sig.clear = strings.EqualFold(field(raw, f, "alertAction"), "CLEAR") || isNormal(firstOf(sev, e.Severity))
		sig.alertValue = field(raw, f, "alertValue")
	default:
		sig.severity = e.Severity
	}
	return sig
}

func isNormal(sev string) bool { return strings.EqualFold(sev, string(nephv1.SeverityNormal)) }

// severityMatches: NORMAL never matches; an unset minimum matches any other
// severity (also none, for domains without one); otherwise the rank must
// reach the minimum's.
func severityMatches(sev string, minimum nephv1.Severity) bool {
	s := nephv1.Severity(strings.ToUpper(sev))
	if s == nephv1.SeverityNormal {
		return false
	}
	if minimum == "" {
		return true
	}
	return s.Rank() >= minimum.Rank()
}

// eventTime is the time dedup and incidents use: the event's ReceivedAt
// (now when unset), at the store's microsecond precision, so that Restore
// from the store rebuilds exactly the incidents live evaluation built.
func eventTime(e *model.Event, now time.Time) time.Time {
	t := e.ReceivedAt
	if t.IsZero() {
		t = now
	}
	return t.Truncate(time.Microsecond)
}

// Event evaluates the event rules on one accepted VES event at now: dedup
// and incident state are updated for every event; outputs are produced for
// the CNFs whose VES sourceNames contain the event's sourceName and the
// rules of the event's domain whose target selects them. See the package
// documentation for the semantics. Rule function errors are returned (the
// rule is skipped for that CNF).
func (s *State) Event(ctx context.Context, e model.Event, now time.Time) ([]model.Decision, []RuleError) {
	raw := decodeEvent(e.Raw)
	sig := parseSignal(&e, raw)
	v := s.dedup.observe(sig, eventTime(&e, now))
	cnfs := s.bySource[sig.source]
	if len(cnfs) == 0 || len(s.eventRules) == 0 {
		return nil, nil
	}
	m := &moment{
		now:           now,
		basis:         v.basis,
		correlationID: v.incidentID,
		node:          sig.source,
		alertValue:    sig.alertValue,
		event:         raw,
		evidence: func() map[string]json.RawMessage {
			ev := map[string]json.RawMessage{
				"eventIds": mustJSON(v.eventIDs),
				"count":    mustJSON(v.count),
			}
			if sig.severity != "" {
				ev["severity"] = mustJSON(sig.severity)
			}
			return ev
		},
	}
	var (
		out  []model.Decision
		errs []RuleError
	)
	for _, c := range cnfs {
		var matches []match
		var in *model.Input
		for _, r := range c.eventRules {
			if r.EventDomain != sig.domain {
				continue
			}
			if v.clear {
				// A CLEAR matches no severity; it is recorded for every rule
				// of its domain so the audit shows the incident closing.
				matches = append(matches, match{rule: r, suppressed: v.suppressed, detail: v.detail})
				continue
			}
			if !severityMatches(sig.severity, r.MinSeverity) {
				continue
			}
			if in == nil {
				in = &model.Input{Event: raw, CNF: c.view, Node: sig.source}
			}
			ok, err := condition(ctx, r, in)
			if err != nil {
				errs = append(errs, RuleError{Rule: r.Name, Kind: r.Kind, CNF: c.name, Err: err})
				continue
			}
			if !ok {
				continue
			}
			switch {
			case v.suppressed != "":
				matches = append(matches, match{rule: r, suppressed: v.suppressed, detail: v.detail})
			default:
				matches = append(matches, s.unlatched(c, r))
			}
		}
		out, errs = s.resolve(c, matches, m, out, errs)
	}
	return out, errs
}
