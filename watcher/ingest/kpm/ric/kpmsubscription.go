package ric

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/nephoran/nephoran/watcher/inventory"
)

// KPMRANFunctionID is the default RAN function ID of E2SM-KPM: 2, the value
// O-RAN SC's kpimon xApp and the E2 simulator (e2sim) use. RAN function IDs
// are assigned by each E2 node in its E2 Setup (e2mgr shows them in
// GET /v1/nodeb/{ranName}), so KPMSubscription.RANFunctionID can override it.
const KPMRANFunctionID = 2

// DefaultGranularityPeriod is used when spec.kpm.granularityPeriod is empty.
const DefaultGranularityPeriod = time.Second

// KPMMeasurements are the E2SM-KPM Action Definition Format 1 measurement
// names (3GPP TS 28.552, as written) the KPM ingest derives its contract
// metrics from: PRB utilisation, UE count and latency.
var KPMMeasurements = []string{"RRU.PrbUsedDl", "RRU.PrbAvailDl", "RRU.PrbTotDl", "DRB.RlcSduDelayDl", "RRC.ConnMean"}

// KPMEventTrigger is the content of an E2SM-KPM Event Trigger Definition
// Format 1: the reporting period.
type KPMEventTrigger struct {
	ReportingPeriodMs int64 `json:"reportingPeriodMs"`
}

// KPMActionDefinition is the content of an E2SM-KPM Action Definition
// Format 1: measurement names, granularity period and the cells to report.
type KPMActionDefinition struct {
	Format              int      `json:"format"`
	MeasNames           []string `json:"measNames"`
	GranularityPeriodMs int64    `json:"granularityPeriodMs"`
	CellIDs             []string `json:"cellIds,omitempty"`
}

// Encoder turns the E2SM-KPM contents into the octets the subscription
// manager forwards to the E2 node unchanged.
type Encoder interface {
	EventTrigger(KPMEventTrigger) (Octets, error)
	ActionDefinition(KPMActionDefinition) (Octets, error)
}

// JSONEncoder encodes the contents as compact UTF-8 JSON. It is NOT the
// ASN.1 APER encoding of E2SM-KPM that a standard E2 node decodes: it suits
// an E2 node or simulator adapter that reads JSON, and keeps the
// subscription complete and inspectable until an ASN.1 Encoder is plugged in.
type JSONEncoder struct{}

var _ Encoder = JSONEncoder{}

// EventTrigger encodes t as JSON.
func (JSONEncoder) EventTrigger(t KPMEventTrigger) (Octets, error) { return json.Marshal(t) }

// ActionDefinition encodes d as JSON.
func (JSONEncoder) ActionDefinition(d KPMActionDefinition) (Octets, error) { return json.Marshal(d) }

// KPMSubscription builds the one KPM subscription a CNF gets.
type KPMSubscription struct {
	// ClientEndpoint is the watcher's own service address as the subscription
	// manager should call it back.
	ClientEndpoint ClientEndpoint
	// RANFunctionID of E2SM-KPM on the E2 nodes; 0 means KPMRANFunctionID.
	RANFunctionID int
	// Encoder of the E2SM contents; nil means JSONEncoder.
	Encoder Encoder
}

// Params returns the subscription for cnf, which must have spec.kpm.nodeId:
// Meid is the node id, one subscription detail with instance id instance,
// an event trigger carrying the granularity period in ms as the reporting
// period, and one "report" action (ActionID 1) whose definition names
// KPMMeasurements and the CNF's cells.
func (k KPMSubscription) Params(cnf inventory.CNF, instance int) (SubscriptionParams, error) {
	if cnf.CNFDeployment == nil || cnf.Spec.KPM == nil || cnf.Spec.KPM.NodeID == "" {
		return SubscriptionParams{}, fmt.Errorf("CNF has no spec.kpm.nodeId")
	}
	if instance < 0 || instance > 65535 {
		return SubscriptionParams{}, fmt.Errorf("XappEventInstanceId %d out of 0..65535", instance)
	}
	kpm := cnf.Spec.KPM
	period := DefaultGranularityPeriod
	if kpm.GranularityPeriod != "" {
		d, err := time.ParseDuration(kpm.GranularityPeriod)
		if err != nil {
			return SubscriptionParams{}, fmt.Errorf("spec.kpm.granularityPeriod: %w", err)
		}
		period = d
	}
	ms := period.Milliseconds()
	if ms < 1 || ms > math.MaxUint32 {
		return SubscriptionParams{}, fmt.Errorf("spec.kpm.granularityPeriod %s: want 1ms..%dms", period, int64(math.MaxUint32))
	}
	enc := k.Encoder
	if enc == nil {
		enc = JSONEncoder{}
	}
	trigger, err := enc.EventTrigger(KPMEventTrigger{ReportingPeriodMs: ms})
	if err != nil {
		return SubscriptionParams{}, fmt.Errorf("encode event trigger: %w", err)
	}
	action, err := enc.ActionDefinition(KPMActionDefinition{
		Format:              1,
		MeasNames:           append([]string(nil), KPMMeasurements...),
		GranularityPeriodMs: ms,
		CellIDs:             append([]string(nil), kpm.CellIDs...),
	})
	if err != nil {
		return SubscriptionParams{}, fmt.Errorf("encode action definition: %w", err)
	}
	fn := k.RANFunctionID
	if fn == 0 {
		fn = KPMRANFunctionID
	}
	return SubscriptionParams{
		ClientEndpoint: k.ClientEndpoint,
		Meid:           kpm.NodeID,
		RANFunctionID:  fn,
		SubscriptionDetails: []SubscriptionDetail{{
			XappEventInstanceID: instance,
			EventTriggers:       trigger,
			ActionToBeSetupList: []ActionToSetup{{
				ActionID:         1,
				ActionType:       ActionReport,
				ActionDefinition: action,
			}},
		}},
	}, nil
}
