package v1

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func i32(v int32) *int32 { return &v }

// baseAutomationRule is the plan's upf-prb-scaling; every case changes it in one way.
func baseAutomationRule() *AutomationRule {
	return &AutomationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindAutomationRule},
		ObjectMeta: metav1.ObjectMeta{Name: "upf-prb-scaling"},
		Spec: AutomationRuleSpec{
			MetricSource:   MetricSourceKPM,
			Condition:      "metrics['kpm.prb_utilization'] > 0.85",
			Action:         ActionScaleOut,
			Cooldown:       "300s",
			MinReplicas:    i32(2),
			MaxReplicas:    i32(10),
			Priority:       10,
			IntentTemplate: "Scale out UPF due to PRB utilization {.Value}",
		},
	}
}

// baseFCAPSRule is the plan's high-prb-scaling.
func baseFCAPSRule() *FCAPSRule {
	return &FCAPSRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindFCAPSRule},
		ObjectMeta: metav1.ObjectMeta{Name: "high-prb-scaling"},
		Spec: FCAPSRuleSpec{
			EventDomain:    "thresholdCrossingAlert",
			Condition:      "event.thresholdCrossingAlertFields.alertValue > 0.9",
			Action:         ActionScaleOut,
			IntentTemplate: "Scale out due to PRB {.AlertValue}",
			Cooldown:       "180s",
		},
	}
}

func TestAutomationRuleValidate(t *testing.T) {
	inv, req, unsup, forb := field.ErrorTypeInvalid, field.ErrorTypeRequired, field.ErrorTypeNotSupported, field.ErrorTypeForbidden
	tests := []struct {
		name   string
		change func(r *AutomationRule)
		want   []fieldErr
	}{
		{name: "the plan's example is valid", change: func(*AutomationRule) {}},
		{name: "only the required fields", change: func(r *AutomationRule) {
			r.Spec = AutomationRuleSpec{Condition: "true", Action: ActionRestart}
		}},
		{name: "wrong apiVersion and kind", change: func(r *AutomationRule) { r.APIVersion, r.Kind = "nephoran.com/v2", KindFCAPSRule },
			want: []fieldErr{{"apiVersion", inv}, {"kind", inv}}},
		{name: "missing name", change: func(r *AutomationRule) { r.Name = "" }, want: []fieldErr{{"metadata.name", req}}},
		{name: "name is not a DNS label", change: func(r *AutomationRule) { r.Name = "UPF_Scaling" }, want: []fieldErr{{"metadata.name", inv}}},
		{name: "metric source other than kpm", change: func(r *AutomationRule) { r.Spec.MetricSource = "prometheus" },
			want: []fieldErr{{"spec.metricSource", unsup}}},
		{name: "metric rule without a condition", change: func(r *AutomationRule) { r.Spec.Condition = "" },
			want: []fieldErr{{"spec.condition", req}}},
		{name: "missing action", change: func(r *AutomationRule) { r.Spec.Action = "" }, want: []fieldErr{{"spec.action", req}}},
		{name: "unknown action", change: func(r *AutomationRule) { r.Spec.Action = "scale_up" }, want: []fieldErr{{"spec.action", unsup}}},
		{name: "scale_to without replicas", change: func(r *AutomationRule) { r.Spec.Action = ActionScaleTo },
			want: []fieldErr{{"spec.replicas", req}}},
		{name: "scale_to with replicas", change: func(r *AutomationRule) { r.Spec.Action, r.Spec.Replicas = ActionScaleTo, i32(4) }},
		{name: "replicas on a scale_out", change: func(r *AutomationRule) { r.Spec.Replicas = i32(4) },
			want: []fieldErr{{"spec.replicas", forb}}},
		{name: "cooldown is not a duration", change: func(r *AutomationRule) { r.Spec.Cooldown = "5 minutes" },
			want: []fieldErr{{"spec.cooldown", inv}}},
		{name: "negative cooldown", change: func(r *AutomationRule) { r.Spec.Cooldown = "-1s" }, want: []fieldErr{{"spec.cooldown", inv}}},
		{name: "zero cooldown turns it off", change: func(r *AutomationRule) { r.Spec.Cooldown = "0s" }},
		{name: "minReplicas above maxReplicas", change: func(r *AutomationRule) { r.Spec.MinReplicas = i32(11) },
			want: []fieldErr{{"spec.minReplicas", inv}}},
		{name: "negative maxReplicas", change: func(r *AutomationRule) { r.Spec.MinReplicas, r.Spec.MaxReplicas = nil, i32(-1) },
			want: []fieldErr{{"spec.maxReplicas", inv}}},
		{name: "negative for", change: func(r *AutomationRule) { r.Spec.For = -1 }, want: []fieldErr{{"spec.for", inv}}},
		{name: "unknown approval", change: func(r *AutomationRule) { r.Spec.Approval = "yes" }, want: []fieldErr{{"spec.approval", unsup}}},
		{name: "auto approval", change: func(r *AutomationRule) { r.Spec.Approval = ApprovalAuto }},
		{name: "unknown target nfType and a bad name", change: func(r *AutomationRule) {
			r.Spec.Target = &RuleTarget{NFType: "pgw", Names: []string{"UPF"}}
		}, want: []fieldErr{{"spec.target.nfType", unsup}, {"spec.target.names[0]", inv}}},
		{name: "bad target selector", change: func(r *AutomationRule) {
			r.Spec.Target = &RuleTarget{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "not valid!"}}}
		}, want: []fieldErr{{"spec.target.selector", inv}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseAutomationRule()
			tt.change(r)
			require.Equal(t, tt.want, errorsOf(r.Validate()))
		})
	}
}

func TestFCAPSRuleValidate(t *testing.T) {
	inv, req, unsup := field.ErrorTypeInvalid, field.ErrorTypeRequired, field.ErrorTypeNotSupported
	tests := []struct {
		name   string
		change func(r *FCAPSRule)
		want   []fieldErr
	}{
		{name: "the plan's example is valid", change: func(*FCAPSRule) {}},
		{name: "no condition matches every event of the domain", change: func(r *FCAPSRule) { r.Spec.Condition = "" }},
		{name: "wrong kind", change: func(r *FCAPSRule) { r.Kind = KindAutomationRule }, want: []fieldErr{{"kind", inv}}},
		{name: "missing event domain", change: func(r *FCAPSRule) { r.Spec.EventDomain = "" }, want: []fieldErr{{"spec.eventDomain", req}}},
		{name: "unknown event domain", change: func(r *FCAPSRule) { r.Spec.EventDomain = "alarm" }, want: []fieldErr{{"spec.eventDomain", unsup}}},
		{name: "VES 5 measurementsForVfScaling is accepted (lenient mode maps it)",
			change: func(r *FCAPSRule) { r.Spec.EventDomain = "measurementsForVfScaling" }},
		{name: "every severity a rule may name", change: func(r *FCAPSRule) { r.Spec.Severity = SeverityWarning }},
		{name: "NORMAL is not a minimum severity", change: func(r *FCAPSRule) { r.Spec.Severity = SeverityNormal },
			want: []fieldErr{{"spec.severity", unsup}}},
		{name: "lower-case severity", change: func(r *FCAPSRule) { r.Spec.Severity = "critical" }, want: []fieldErr{{"spec.severity", unsup}}},
		{name: "scale_to without replicas", change: func(r *FCAPSRule) { r.Spec.Action = ActionScaleTo }, want: []fieldErr{{"spec.replicas", req}}},
		{name: "cooldown is not a duration", change: func(r *FCAPSRule) { r.Spec.Cooldown = "3 min" }, want: []fieldErr{{"spec.cooldown", inv}}},
		{name: "unknown approval", change: func(r *FCAPSRule) { r.Spec.Approval = "Auto" }, want: []fieldErr{{"spec.approval", unsup}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseFCAPSRule()
			tt.change(r)
			require.Equal(t, tt.want, errorsOf(r.Validate()))
		})
	}
}

func TestDecodeRules(t *testing.T) {
	t.Run("the plan's AutomationRule decodes", func(t *testing.T) {
		r, errs := DecodeAutomationRule([]byte(`apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling
spec:
  metricSource: kpm
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  cooldown: 300s
  minReplicas: 2
  maxReplicas: 10
  priority: 10
  intentTemplate: "Scale out UPF due to PRB utilization {.Value}"
`))
		require.Empty(t, errs)
		require.Equal(t, baseAutomationRule(), r)
	})
	t.Run("the plan's FCAPSRule decodes", func(t *testing.T) {
		r, errs := DecodeFCAPSRule([]byte(`apiVersion: nephoran.com/v1
kind: FCAPSRule
metadata:
  name: high-prb-scaling
spec:
  eventDomain: thresholdCrossingAlert
  condition: "event.thresholdCrossingAlertFields.alertValue > 0.9"
  action: scale_out
  intentTemplate: "Scale out due to PRB {.AlertValue}"
  cooldown: 180s
`))
		require.Empty(t, errs)
		require.Equal(t, baseFCAPSRule(), r)
	})
	tests := []struct {
		name string
		doc  string
		want []fieldErr
	}{
		{name: "a misspelt field is named with its path", doc: "kind: FCAPSRule\nspec:\n  eventDomian: fault\n",
			want: []fieldErr{{"spec.eventDomian", field.ErrorTypeForbidden}}},
		{name: "a duplicate field is named", doc: "kind: FCAPSRule\nspec:\n  action: migrate\n  action: restart\n",
			want: []fieldErr{{"spec.action", field.ErrorTypeDuplicate}}},
		{name: "a mistyped field is named", doc: "kind: FCAPSRule\nspec:\n  priority: high\n",
			want: []fieldErr{{"spec.priority", field.ErrorTypeInvalid}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, errs := DecodeFCAPSRule([]byte(tt.doc))
			require.Nil(t, r)
			require.Equal(t, tt.want, errorsOf(errs))
		})
	}
}

func TestFCAPSRuleEntryValidate(t *testing.T) {
	e := FCAPSRuleEntry{Name: "link-down-migration", FCAPSRuleSpec: FCAPSRuleSpec{
		EventDomain: "fault", Severity: SeverityCritical, Condition: "event.faultFields.alarmCondition == 'LINK_DOWN'",
		Action: ActionMigrate, Cooldown: "300s"}}
	p := field.NewPath("rules").Index(0)
	require.Empty(t, e.Validate(p))
	e.Name, e.EventDomain = "", "faults"
	require.Equal(t, []fieldErr{{"rules[0].name", field.ErrorTypeRequired}, {"rules[0].eventDomain", field.ErrorTypeNotSupported}},
		errorsOf(e.Validate(p)))
}
