package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kinds of the rule types.
const (
	KindAutomationRule = "AutomationRule"
	KindFCAPSRule      = "FCAPSRule"
)

// Approval says who moves a proposal on: a person (manual, the default) or
// the watcher itself (auto).
type Approval string

// The approval modes.
const (
	ApprovalManual Approval = "manual"
	ApprovalAuto   Approval = "auto"
)

// Severity is a VES eventSeverity. As a rule's minimum, CRITICAL > MAJOR >
// MINOR > WARNING; NORMAL never matches and counts as a CLEAR.
type Severity string

// The VES severities, most severe first.
const (
	SeverityCritical Severity = "CRITICAL"
	SeverityMajor    Severity = "MAJOR"
	SeverityMinor    Severity = "MINOR"
	SeverityWarning  Severity = "WARNING"
	SeverityNormal   Severity = "NORMAL"
)

// Severities lists the severities a rule may name as its minimum, most severe first.
var Severities = []Severity{SeverityCritical, SeverityMajor, SeverityMinor, SeverityWarning}

// Rank orders severities: CRITICAL 4 ... WARNING 1; NORMAL and unknown 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityMajor:
		return 3
	case SeverityMinor:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// MetricSourceKPM is the only metric source: E2SM-KPM measurements and the
// kpm.* metrics derived from them.
const MetricSourceKPM = "kpm"

// AutomationRule turns a KPM metric condition, evaluated once per closed
// window, into a CNFIntent.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=arule,categories=nephoran
// +kubebuilder:printcolumn:name="Action",type=string,JSONPath=`.spec.action`
// +kubebuilder:printcolumn:name="Condition",type=string,JSONPath=`.spec.condition`
// +kubebuilder:printcolumn:name="Priority",type=integer,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AutomationRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AutomationRuleSpec `json:"spec"`
}

// AutomationRuleSpec is a metric rule.
//
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",message="minReplicas must not exceed maxReplicas",fieldPath=".minReplicas"
type AutomationRuleSpec struct {
	// MetricSource is where the metrics come from; only kpm.
	// +kubebuilder:validation:Enum=kpm
	// +optional
	MetricSource string `json:"metricSource,omitempty"`
	// Target narrows the CNFs the rule applies to.
	// +optional
	Target *RuleTarget `json:"target,omitempty"`
	// Condition is a CEL expression over metrics, cnf, node and cell, for
	// example metrics['kpm.prb_utilization'] > 0.85.
	// +kubebuilder:validation:MinLength=1
	Condition string `json:"condition"`
	// Action is the change a firing rule proposes.
	// +kubebuilder:validation:Enum=scale_out;scale_in;scale_to;migrate;restart
	Action Action `json:"action"`
	// Replicas is the absolute count of a scale_to.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Cooldown is how long after a decision the same (CNF, action) waits (a Go
	// duration such as 300s; default 5m).
	// +kubebuilder:validation:Pattern=`^(0|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$`
	// +optional
	Cooldown string `json:"cooldown,omitempty"`
	// MinReplicas and MaxReplicas bound scale_in and scale_out beside the
	// CNFDeployment's own scaling bounds (the tighter one wins).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
	// Priority decides between rules firing for the same CNF in the same
	// window: the highest wins.
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// IntentTemplate renders the intent's reason (kubectl JSONPath syntax,
	// for example "Scale out UPF due to PRB utilization {.Value}").
	// +optional
	IntentTemplate string `json:"intentTemplate,omitempty"`
	// For is how many consecutive closed windows the condition must hold
	// before the rule fires (default 1). It keeps counting while the
	// condition holds, as Prometheus' for does.
	// +kubebuilder:validation:Minimum=1
	// +optional
	For int32 `json:"for,omitempty"`
	// ClearCondition is a CEL expression that must hold, after this rule
	// fired, before the opposite action (scale_in after scale_out and back)
	// may fire for the same CNF.
	// +optional
	ClearCondition string `json:"clearCondition,omitempty"`
	// Approval is who moves the proposal on (default manual).
	// +kubebuilder:validation:Enum=manual;auto
	// +optional
	Approval Approval `json:"approval,omitempty"`
}

// FCAPSRule turns a VES event into a CNFIntent.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=frule,categories=nephoran
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.spec.eventDomain`
// +kubebuilder:printcolumn:name="Action",type=string,JSONPath=`.spec.action`
// +kubebuilder:printcolumn:name="Priority",type=integer,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type FCAPSRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec FCAPSRuleSpec `json:"spec"`
}

// FCAPSRuleSpec is an event rule.
type FCAPSRuleSpec struct {
	// EventDomain is the VES commonEventHeader.domain the rule reads
	// (fault, thresholdCrossingAlert, measurement, ...).
	// +kubebuilder:validation:MinLength=1
	EventDomain string `json:"eventDomain"`
	// Severity is the minimum eventSeverity (CRITICAL > MAJOR > MINOR >
	// WARNING); unset matches any but NORMAL.
	// +kubebuilder:validation:Enum=CRITICAL;MAJOR;MINOR;WARNING
	// +optional
	Severity Severity `json:"severity,omitempty"`
	// Condition is a CEL expression over event; unset matches every event
	// of the domain and severity.
	// +optional
	Condition string `json:"condition,omitempty"`
	// Action is the change a firing rule proposes.
	// +kubebuilder:validation:Enum=scale_out;scale_in;scale_to;migrate;restart
	Action Action `json:"action"`
	// Replicas is the absolute count of a scale_to.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Target narrows the CNFs the rule applies to.
	// +optional
	Target *RuleTarget `json:"target,omitempty"`
	// IntentTemplate renders the intent's reason (kubectl JSONPath syntax,
	// for example "Migrate {.SourceName} due to link failure").
	// +optional
	IntentTemplate string `json:"intentTemplate,omitempty"`
	// Avoid lists JSONPath templates over the event that name the nodes and
	// sites a migrate moves away from. Defaults: sites
	// ["{.Event.faultFields.alarmAdditionalInformation.site}"], nodes
	// ["{.Event.faultFields.alarmAdditionalInformation.node}"].
	// +optional
	Avoid *Avoid `json:"avoid,omitempty"`
	// Cooldown is how long after a decision the same (CNF, action) waits (a Go
	// duration such as 300s; default 5m).
	// +kubebuilder:validation:Pattern=`^(0|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$`
	// +optional
	Cooldown string `json:"cooldown,omitempty"`
	// Priority decides between rules firing for the same CNF at once: the
	// highest wins.
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Approval is who moves the proposal on (default manual).
	// +kubebuilder:validation:Enum=manual;auto
	// +optional
	Approval Approval `json:"approval,omitempty"`
}

// RuleTarget narrows the CNFs a rule applies to; every set field must match.
type RuleTarget struct {
	// NFType is the CNFDeployment's spec.nfType.
	// +optional
	NFType NFType `json:"nfType,omitempty"`
	// Names are CNFDeployment names.
	// +optional
	Names []string `json:"names,omitempty"`
	// Selector matches the CNFDeployment's labels.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// FCAPSRuleEntry is one entry of the plain rule list file form
// (`rules: [...]`, the plan's config/fcaps-rules.yaml): an FCAPSRuleSpec with
// its name inline.
type FCAPSRuleEntry struct {
	Name          string `json:"name"`
	FCAPSRuleSpec `json:",inline"`
}

// FCAPSRuleList is the plain rule list file form. Each entry becomes an
// FCAPSRule named by its name.
type FCAPSRuleList struct {
	Rules []FCAPSRuleEntry `json:"rules"`
}
