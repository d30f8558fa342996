package v1

import (
	"fmt"
	"slices"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// EventDomains are the commonEventHeader.domain values an FCAPSRule may name:
// the VES 7.2.1 domains, and the VES 5 measurementsForVfScaling that the
// listener's lenient mode accepts.
var EventDomains = []string{
	"fault", "heartbeat", "measurement", "mobileFlow", "notification", "other",
	"perf3gpp", "pnfRegistration", "sipSignaling", "stateChange", "stndDefined",
	"syslog", "thresholdCrossingAlert", "voiceQuality",
	"measurementsForVfScaling",
}

// DecodeAutomationRule strictly decodes one AutomationRule from YAML or JSON.
// The returned list names every unknown, duplicate or mistyped field; the
// object is nil when the list is not empty.
func DecodeAutomationRule(data []byte) (*AutomationRule, field.ErrorList) {
	return decodeBytes[AutomationRule](data, nil)
}

// NodeToAutomationRule is DecodeAutomationRule for an already parsed node.
func NodeToAutomationRule(n *yamlv3.Node) (*AutomationRule, field.ErrorList) {
	return decodeNode[AutomationRule](n)
}

// DecodeFCAPSRule strictly decodes one FCAPSRule from YAML or JSON.
func DecodeFCAPSRule(data []byte) (*FCAPSRule, field.ErrorList) {
	return decodeBytes[FCAPSRule](data, nil)
}

// NodeToFCAPSRule is DecodeFCAPSRule for an already parsed node.
func NodeToFCAPSRule(n *yamlv3.Node) (*FCAPSRule, field.ErrorList) {
	return decodeNode[FCAPSRule](n)
}

// NodeToFCAPSRuleList strictly decodes the plain rule list form
// (`rules: [...]`) from an already parsed node. Paths read rules[0].condition.
func NodeToFCAPSRuleList(n *yamlv3.Node) (*FCAPSRuleList, field.ErrorList) {
	return decodeNode[FCAPSRuleList](n)
}

func decodeNode[T any](n *yamlv3.Node) (*T, field.ErrorList) {
	var out T
	if errs := DecodeNode(n, &out, nil); len(errs) > 0 {
		return nil, errs
	}
	return &out, nil
}

// Validate checks a decoded AutomationRule: what can be checked without
// compiling its CEL (the rules package compiles it and reports positions).
func (r *AutomationRule) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(r.APIVersion, r.Kind, KindAutomationRule)...)
	errs = append(errs, validateDNSLabel(field.NewPath("metadata", "name"), r.Name, true)...)
	spec := field.NewPath("spec")
	s := &r.Spec
	if s.MetricSource != "" && s.MetricSource != MetricSourceKPM {
		errs = append(errs, field.NotSupported(spec.Child("metricSource"), s.MetricSource, []string{MetricSourceKPM}))
	}
	if s.Condition == "" {
		errs = append(errs, field.Required(spec.Child("condition"),
			"a CEL expression over metrics, cnf, node and cell, such as metrics['kpm.prb_utilization'] > 0.85"))
	}
	errs = append(errs, validateRuleAction(spec, s.Action, s.Replicas)...)
	errs = append(errs, validateCooldown(spec.Child("cooldown"), s.Cooldown)...)
	if s.MinReplicas != nil && *s.MinReplicas < 0 {
		errs = append(errs, field.Invalid(spec.Child("minReplicas"), *s.MinReplicas, "must be >= 0"))
	}
	if s.MaxReplicas != nil && *s.MaxReplicas < 0 {
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), *s.MaxReplicas, "must be >= 0"))
	}
	if s.MinReplicas != nil && s.MaxReplicas != nil && *s.MinReplicas > *s.MaxReplicas {
		errs = append(errs, field.Invalid(spec.Child("minReplicas"), *s.MinReplicas,
			fmt.Sprintf("minReplicas must be <= maxReplicas (%d)", *s.MaxReplicas)))
	}
	if s.For < 0 {
		errs = append(errs, field.Invalid(spec.Child("for"), s.For, "must be >= 1 (consecutive windows; unset means 1)"))
	}
	errs = append(errs, validateApproval(spec.Child("approval"), s.Approval)...)
	errs = append(errs, s.Target.validate(spec.Child("target"))...)
	return errs
}

// Validate checks a decoded FCAPSRule: what can be checked without compiling
// its CEL and templates.
func (r *FCAPSRule) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(r.APIVersion, r.Kind, KindFCAPSRule)...)
	errs = append(errs, validateDNSLabel(field.NewPath("metadata", "name"), r.Name, true)...)
	errs = append(errs, r.Spec.validate(field.NewPath("spec"))...)
	return errs
}

// Validate checks one entry of the plain rule list form; p is the entry's
// path (rules[0]).
func (e *FCAPSRuleEntry) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateDNSLabel(p.Child("name"), e.Name, true)...)
	errs = append(errs, e.FCAPSRuleSpec.validate(p)...)
	return errs
}

func (s *FCAPSRuleSpec) validate(spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case s.EventDomain == "":
		errs = append(errs, field.Required(spec.Child("eventDomain"), "the VES commonEventHeader.domain, one of "+joinQuoted(EventDomains)))
	case !slices.Contains(EventDomains, s.EventDomain):
		errs = append(errs, field.NotSupported(spec.Child("eventDomain"), s.EventDomain, EventDomains))
	}
	if s.Severity != "" && !slices.Contains(Severities, s.Severity) {
		errs = append(errs, field.NotSupported(spec.Child("severity"), s.Severity, Severities))
	}
	errs = append(errs, validateRuleAction(spec, s.Action, s.Replicas)...)
	errs = append(errs, validateCooldown(spec.Child("cooldown"), s.Cooldown)...)
	errs = append(errs, validateApproval(spec.Child("approval"), s.Approval)...)
	errs = append(errs, s.Target.validate(spec.Child("target"))...)
	return errs
}

func validateRuleAction(spec *field.Path, a Action, replicas *int32) field.ErrorList {
	var errs field.ErrorList
	switch {
	case a == "":
		errs = append(errs, field.Required(spec.Child("action"), "one of "+joinQuoted(Actions)))
	case !slices.Contains(Actions, a):
		errs = append(errs, field.NotSupported(spec.Child("action"), a, Actions))
	}
	if a == ActionScaleTo {
		if replicas == nil {
			errs = append(errs, field.Required(spec.Child("replicas"), "scale_to needs replicas"))
		} else if *replicas < 0 {
			errs = append(errs, field.Invalid(spec.Child("replicas"), *replicas, "must be >= 0"))
		}
	} else if replicas != nil && a != "" {
		errs = append(errs, field.Forbidden(spec.Child("replicas"), fmt.Sprintf("replicas is only for scale_to, not %s", a)))
	}
	return errs
}

func validateCooldown(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	if d, err := time.ParseDuration(v); err != nil || d < 0 {
		return field.ErrorList{field.Invalid(p, v, "cooldown must be a Go duration >= 0 such as 300s or 5m")}
	}
	return nil
}

func validateApproval(p *field.Path, a Approval) field.ErrorList {
	if a == "" || a == ApprovalManual || a == ApprovalAuto {
		return nil
	}
	return field.ErrorList{field.NotSupported(p, a, []Approval{ApprovalManual, ApprovalAuto})}
}

func (t *RuleTarget) validate(p *field.Path) field.ErrorList {
	if t == nil {
		return nil
	}
	var errs field.ErrorList
	if t.NFType != "" && !slices.Contains(NFTypes, t.NFType) {
		errs = append(errs, field.NotSupported(p.Child("nfType"), t.NFType, NFTypes))
	}
	for i, n := range t.Names {
		errs = append(errs, validateDNSLabel(p.Child("names").Index(i), n, true)...)
	}
	if t.Selector != nil {
		if _, err := metav1.LabelSelectorAsSelector(t.Selector); err != nil {
			errs = append(errs, field.Invalid(p.Child("selector"), field.OmitValueType{}, err.Error()))
		}
	}
	return errs
}
