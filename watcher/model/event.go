package model

import (
	"encoding/json"
	"time"
)

// Result says how an accepted event was accepted; it is also the `result`
// label of ves_events_total.
type Result string

// Results of accepted events.
const (
	// Accepted is an event that passed strict validation.
	Accepted Result = "accepted"
	// StndDefinedUnvalidated is a stndDefined event whose data was not
	// checked against a 3GPP schema (none is shipped).
	StndDefinedUnvalidated Result = "stndDefined_unvalidated"
	// Lenient is an event accepted by lenient mode after normalization.
	Lenient Result = "lenient"
)

// Event is one accepted VES event, as the store keeps it. The fields are
// copied from commonEventHeader (and the domain block's severity) so the
// store can index them; Raw is the event object exactly as received.
type Event struct {
	// ReceivedAt is when the listener accepted the event: retention and
	// the since/until of queries use it, never the producer's clock.
	ReceivedAt time.Time `json:"receivedAt"`
	// Domain, EventID, EventName, SourceName, ReportingEntityName, Priority
	// and the epochs are commonEventHeader's fields.
	Domain              string `json:"domain"`
	EventID             string `json:"eventId"`
	EventName           string `json:"eventName"`
	SourceName          string `json:"sourceName"`
	ReportingEntityName string `json:"reportingEntityName,omitempty"`
	Priority            string `json:"priority,omitempty"`
	StartEpochMicrosec  int64  `json:"startEpochMicrosec"`
	LastEpochMicrosec   int64  `json:"lastEpochMicrosec"`
	// StndDefinedNamespace is set for the stndDefined domain.
	StndDefinedNamespace string `json:"stndDefinedNamespace,omitempty"`
	// Severity is faultFields.eventSeverity or
	// thresholdCrossingAlertFields.eventSeverity (CRITICAL, MAJOR, MINOR,
	// WARNING, NORMAL); empty for other domains.
	Severity string `json:"severity,omitempty"`
	// Result is how the event was accepted.
	Result Result `json:"result"`
	// Deviations lists what lenient mode normalized, one line each.
	Deviations []string `json:"deviations,omitempty"`
	// Raw is the event object ({"commonEventHeader":...,"<domain>Fields":...}).
	Raw json.RawMessage `json:"event"`
}
