package model

import (
	"context"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// RuleKind says what a rule reads.
type RuleKind string

// The rule kinds.
const (
	// MetricRule is an AutomationRule: evaluated once per closed KPM window.
	MetricRule RuleKind = "AutomationRule"
	// EventRule is an FCAPSRule: evaluated once per VES event.
	EventRule RuleKind = "FCAPSRule"
)

// Rule is one loaded, compiled rule as decide uses it. The rules package
// builds it (CEL compiled once, templates parsed once); decide only calls the
// function fields, so neither package imports the other. Every function is
// safe for concurrent use and never panics.
type Rule struct {
	// Name is the rule's metadata.name (or the entry name of a rule list).
	Name string
	// Kind is what the rule reads.
	Kind RuleKind
	// File is where the rule was loaded from (for messages).
	File string
	// Action is the change the rule proposes.
	Action nephv1.Action
	// Replicas is the absolute count of a scale_to.
	Replicas *int32
	// Priority orders rules firing for one CNF at once; the highest wins.
	Priority int32
	// Cooldown per (CNF, action) after a decision (defaulted to 5 min).
	Cooldown time.Duration
	// For is the consecutive closed windows the condition must hold (>= 1).
	For int
	// MinReplicas and MaxReplicas are the rule's own bounds (nil: none).
	MinReplicas, MaxReplicas *int32
	// Approval is manual or auto.
	Approval nephv1.Approval
	// Target narrows the CNFs (nil: every CNF the signal maps to).
	Target *nephv1.RuleTarget
	// EventDomain and MinSeverity select the events of an EventRule.
	EventDomain string
	MinSeverity nephv1.Severity

	// Condition evaluates the rule's CEL condition (an EventRule without a
	// condition matches every event of its domain and severity).
	Condition func(ctx context.Context, in *Input) (bool, error)
	// Clear evaluates clearCondition; nil when the rule has none.
	Clear func(ctx context.Context, in *Input) (bool, error)
	// Reason renders intentTemplate over the view.
	Reason func(v *TemplateView) (string, error)
	// Avoid renders the avoid templates of a migrate (empty values dropped).
	Avoid func(v *TemplateView) (nodes, sites []string, err error)
}

// Input is what a condition sees. The CEL variables are built from it:
// event, metrics, cnf, node, cell.
type Input struct {
	// Event is the VES event object ({"commonEventHeader":..,"faultFields":..})
	// decoded with encoding/json (numbers as float64); nil for metric rules.
	Event map[string]any
	// Metrics are the window's values: kpm.* derived metrics and the mean
	// of each raw measurement by its TS 28.552 name; nil for event rules.
	Metrics map[string]float64
	// CNF is the CNFDeployment the signal maps to.
	CNF CNFView
	// Node is the E2 node id (metric rules) or the event's sourceName.
	Node string
	// Cells are the per-cell metrics of the window, by cell id (metric rules).
	Cells map[string]map[string]float64
}

// CNFView is the part of a CNFDeployment rules can read.
type CNFView struct {
	Name        string
	NFType      string
	Replicas    int32
	MinReplicas int32
	MaxReplicas int32
	Labels      map[string]string
}

// TemplateView is what intentTemplate and avoid templates see, in kubectl
// JSONPath syntax: {.SourceName}, {.AlertValue}, {.Value}, {.CNF}, {.Rule},
// {.Event.faultFields.alarmCondition}, {.Metrics.kpm\.prb_utilization}.
type TemplateView struct {
	// SourceName is the event's commonEventHeader.sourceName (or the node id).
	SourceName string
	// AlertValue is thresholdCrossingAlertFields.alertValue as sent.
	AlertValue string
	// Value is the value that made a metric rule fire: the first metric
	// its condition names, to four significant digits (0.9194).
	Value string
	// CNF and Rule are names.
	CNF  string
	Rule string
	// Node is the E2 node id or the event's sourceName.
	Node string
	// Event is the VES event object (nil for metric rules).
	Event map[string]any
	// Metrics are the window's values (nil for event rules).
	Metrics map[string]float64
}
