package v1

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the lifecycle change a CNFIntent (and later a rule) asks for.
type Action string

// The actions apply-intent knows.
const (
	ActionScaleOut Action = "scale_out"
	ActionScaleIn  Action = "scale_in"
	ActionScaleTo  Action = "scale_to"
	ActionMigrate  Action = "migrate"
	ActionRestart  Action = "restart"
)

// Actions lists every Action in a stable order.
var Actions = []Action{ActionScaleOut, ActionScaleIn, ActionScaleTo, ActionMigrate, ActionRestart}

// CNFIntent is one requested change to one CNFDeployment. Its metadata.name is
// the intent id. It is the functionConfig of apply-intent.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=cnfi,categories=nephoran
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.target`
// +kubebuilder:printcolumn:name="Action",type=string,JSONPath=`.spec.action`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.source`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.spec.reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CNFIntent struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CNFIntentSpec `json:"spec"`
}

// CNFIntentSpec says what to change, why, and on whose behalf.
//
// +kubebuilder:validation:XValidation:rule="self.action != 'scale_to' || has(self.replicas)",message="scale_to needs replicas",fieldPath=".replicas"
// +kubebuilder:validation:XValidation:rule="self.action == 'scale_to' || !has(self.replicas)",message="replicas is only for scale_to",fieldPath=".replicas"
// +kubebuilder:validation:XValidation:rule="self.action != 'migrate' || (has(self.avoid) && ((has(self.avoid.nodes) && size(self.avoid.nodes) > 0) || (has(self.avoid.sites) && size(self.avoid.sites) > 0)))",message="migrate needs avoid.nodes or avoid.sites",fieldPath=".avoid"
type CNFIntentSpec struct {
	// Target is the name of the CNFDeployment to change.
	// +kubebuilder:validation:MinLength=1
	Target string `json:"target"`
	// Action is the change.
	// +kubebuilder:validation:Enum=scale_out;scale_in;scale_to;migrate;restart
	Action Action `json:"action"`
	// Delta is the step of scale_out and scale_in; 0 means 1.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Delta int32 `json:"delta,omitempty"`
	// Replicas is the absolute count of scale_to.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Avoid lists the nodes and sites a migrate moves away from.
	Avoid *Avoid `json:"avoid,omitempty"`
	// Reason is a human-readable why, stamped on the CNFDeployment.
	Reason string `json:"reason,omitempty"`
	// Source is the rule name or user that asked.
	Source string `json:"source,omitempty"`
	// CorrelationID ties the intent to the signals that caused it.
	CorrelationID string `json:"correlationId,omitempty"`
	// At is the RFC 3339 time of the intent; when set it is the -at stamp, so
	// goldens and retries are reproducible.
	// +kubebuilder:validation:Format=date-time
	// +optional
	At string `json:"at,omitempty"`
	// Evidence is free-form: metric window values, VES event ids. Its
	// values are any JSON, so the CRD keeps them unpruned and untyped.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Evidence map[string]json.RawMessage `json:"evidence,omitempty"`
}

// Avoid lists what a migrate moves away from.
type Avoid struct {
	Nodes []string `json:"nodes,omitempty"`
	Sites []string `json:"sites,omitempty"`
}

// StepDelta returns spec.delta, defaulting to 1.
func (s *CNFIntentSpec) StepDelta() int32 {
	if s.Delta == 0 {
		return 1
	}
	return s.Delta
}

// Annotations stamped on a CNFDeployment by apply-intent. They are the durable
// cooldown state: the watcher reads them back from Git after a restart.
const (
	AnnotationLastIntentID     = Group + "/last-intent-id"
	AnnotationLastIntentAction = Group + "/last-intent-action"
	AnnotationLastIntentAt     = Group + "/last-intent-at"
	AnnotationLastIntentReason = Group + "/last-intent-reason"
	AnnotationLastIntentSource = Group + "/last-intent-source"
)
