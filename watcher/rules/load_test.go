package rules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// tcaEvent is a thresholdCrossingAlert event whose alertValue is sent as
// the VES schema says: a string.
func tcaEvent(alertValue string) map[string]any {
	return map[string]any{
		"commonEventHeader": map[string]any{"domain": "thresholdCrossingAlert", "sourceName": "gnb-001", "sequence": float64(3)},
		"thresholdCrossingAlertFields": map[string]any{
			"alertValue": alertValue, "alertDescription": "PRB utilization", "eventSeverity": "MAJOR",
		},
	}
}

// faultEvent is a fault event naming its site and node.
func faultEvent(condition string, info map[string]any) map[string]any {
	return map[string]any{
		"commonEventHeader": map[string]any{"domain": "fault", "sourceName": "du-edge-1"},
		"faultFields": map[string]any{
			"alarmCondition": condition, "eventSeverity": "CRITICAL", "alarmAdditionalInformation": info,
		},
	}
}

func ruleNamed(t *testing.T, rules []model.Rule, name string) model.Rule {
	t.Helper()
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	require.Failf(t, "no such rule", "%q", name)
	return model.Rule{}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestSeedExamples(t *testing.T) {
	rules, err := Load("testdata/seed", Options{})
	require.NoError(t, err)
	require.Len(t, rules, 3)
	ctx := context.Background()
	i32 := func(v int32) *int32 { return &v }

	t.Run("fcaps-rules.yaml: the rules: list", func(t *testing.T) {
		r := ruleNamed(t, rules, "link-down-migration")
		require.Equal(t, model.EventRule, r.Kind)
		require.Equal(t, filepath.Join("testdata", "seed", "fcaps-rules.yaml"), r.File)
		require.Equal(t, "fault", r.EventDomain)
		require.Equal(t, nephv1.SeverityCritical, r.MinSeverity)
		require.Equal(t, nephv1.ActionMigrate, r.Action)
		require.Equal(t, 300*time.Second, r.Cooldown)
		require.Equal(t, 1, r.For)
		require.Equal(t, nephv1.ApprovalManual, r.Approval)

		ok, err := r.Condition(ctx, &model.Input{Event: faultEvent("LINK_DOWN", nil)})
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = r.Condition(ctx, &model.Input{Event: faultEvent("LINK_UP", nil)})
		require.NoError(t, err)
		require.False(t, ok)

		ev := faultEvent("LINK_DOWN", map[string]any{"site": "edge-1", "node": "worker-3"})
		reason, err := r.Reason(&model.TemplateView{Event: ev})
		require.NoError(t, err)
		require.Equal(t, "Migrate du-edge-1 due to link failure", reason)
		nodes, sites, err := r.Avoid(&model.TemplateView{Event: ev})
		require.NoError(t, err)
		require.Equal(t, []string{"worker-3"}, nodes)
		require.Equal(t, []string{"edge-1"}, sites)
	})

	t.Run("high-prb-scaling.yaml: alertValue, a VES string, compares as a number", func(t *testing.T) {
		r := ruleNamed(t, rules, "high-prb-scaling")
		require.Equal(t, model.EventRule, r.Kind)
		require.Equal(t, "thresholdCrossingAlert", r.EventDomain)
		require.Equal(t, nephv1.ActionScaleOut, r.Action)
		require.Equal(t, 180*time.Second, r.Cooldown)
		tests := []struct {
			name, alertValue string
			want             bool
			wantErr          bool
		}{
			{name: "0.93 is above 0.9", alertValue: "0.93", want: true},
			{name: "0.5 is below 0.9", alertValue: "0.5"},
			{name: "a value that is not a number stays a string: no such overload", alertValue: "high", wantErr: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ok, err := r.Condition(ctx, &model.Input{Event: tcaEvent(tt.alertValue)})
				if tt.wantErr {
					require.ErrorContains(t, err, `evaluate rule "high-prb-scaling"`)
					require.ErrorContains(t, err, "no such overload")
					return
				}
				require.NoError(t, err)
				require.Equal(t, tt.want, ok)
			})
		}
		reason, err := r.Reason(&model.TemplateView{Event: tcaEvent("0.93")})
		require.NoError(t, err)
		require.Equal(t, "Scale out due to PRB 0.93", reason)
	})

	t.Run("upf-prb-scaling.yaml: the AutomationRule", func(t *testing.T) {
		r := ruleNamed(t, rules, "upf-prb-scaling")
		require.Equal(t, model.MetricRule, r.Kind)
		require.Equal(t, nephv1.ActionScaleOut, r.Action)
		require.Equal(t, 300*time.Second, r.Cooldown)
		require.Equal(t, i32(2), r.MinReplicas)
		require.Equal(t, i32(10), r.MaxReplicas)
		require.Equal(t, int32(10), r.Priority)
		require.Equal(t, 1, r.For)
		require.Nil(t, r.Clear)
		for _, tc := range []struct {
			prb  float64
			want bool
		}{{0.9, true}, {0.8, false}} {
			ok, err := r.Condition(ctx, &model.Input{Metrics: map[string]float64{"kpm.prb_utilization": tc.prb}})
			require.NoError(t, err)
			require.Equal(t, tc.want, ok, "prb %v", tc.prb)
		}
		v := &model.TemplateView{Metrics: map[string]float64{"kpm.prb_utilization": 0.9, "kpm.ue_count": 450}}
		reason, err := r.Reason(v)
		require.NoError(t, err)
		require.Equal(t, "Scale out UPF due to PRB utilization 0.9", reason)
		require.Equal(t, "0.9", v.Value, "Reason fills Value for decide")
	})

	t.Run("each example checks without warnings", func(t *testing.T) {
		for _, f := range []string{"fcaps-rules.yaml", "high-prb-scaling.yaml", "upf-prb-scaling.yaml"} {
			data, err := os.ReadFile(filepath.Join("testdata", "seed", f))
			require.NoError(t, err)
			warnings, err := Check(f, data)
			require.NoError(t, err)
			require.Empty(t, warnings, f)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	const head = "apiVersion: nephoran.com/v1\nkind: FCAPSRule\nmetadata:\n  name: r1\nspec:\n  eventDomain: fault\n  action: restart\n"
	const metricHead = "apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata:\n  name: m1\nspec:\n  action: scale_out\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string // Problem.String() of every error, in order
	}{
		{
			name:  "a CEL syntax error names the column of the error inside the expression",
			files: map[string]string{"a.yaml": head + "  condition: \"event.faultFields.alarmCondition == \"\n"},
			want:  []string{"a.yaml:8:51: spec.condition: CEL: Syntax error: mismatched input '<EOF>'"},
		},
		{
			name:  "an undeclared variable (metrics in an event rule) points at it",
			files: map[string]string{"a.yaml": head + "  condition: event.x == 1 && metrics['a'] > 1\n"},
			want:  []string{"a.yaml:8:30: spec.condition: CEL: undeclared reference to 'metrics'"},
		},
		{
			name:  "a condition that is not a bool is refused",
			files: map[string]string{"a.yaml": metricHead + "  condition: metrics['kpm.prb_utilization'] * 2.0\n"},
			want:  []string{"a.yaml:7:14: spec.condition: a condition must be a bool, this expression is a double"},
		},
		{
			name:  "a comprehension nested in another over the event is unbounded",
			files: map[string]string{"a.yaml": head + "  condition: 'event.all(a, event.all(b, a == b))'\n"},
			want:  []string{"a.yaml:8:15: spec.condition: worst-case cost"},
		},
		{
			name:  "a bad intentTemplate names its field and position",
			files: map[string]string{"a.yaml": head + "  intentTemplate: \"Migrate {.SourceName\"\n"},
			want:  []string{"a.yaml:8:20: spec.intentTemplate: template: unclosed action"},
		},
		{
			name:  "a template field the view does not have",
			files: map[string]string{"a.yaml": head + "  intentTemplate: \"Migrate {.Source}\"\n"},
			want:  []string{`a.yaml:8:30: spec.intentTemplate: template: unknown field "Source"`},
		},
		{
			name:  "a bad avoid template names its index",
			files: map[string]string{"a.yaml": head + "  avoid:\n    nodes: [\"{.Event.x}\", \"{.Event\"]\n"},
			want:  []string{"a.yaml:9:28: spec.avoid.nodes[1]: template: unclosed action"},
		},
		{
			name:  "an unknown field is named with its path and line",
			files: map[string]string{"a.yaml": head + "  conditon: \"true\"\n"},
			want:  []string{`a.yaml:8:3: spec.conditon: Forbidden: unknown field "spec.conditon"`},
		},
		{
			name:  "a validation error names the field",
			files: map[string]string{"a.yaml": head + "  cooldown: 5 minutes\n"},
			want:  []string{"a.yaml:8:13: spec.cooldown: Invalid value: \"5 minutes\": cooldown must be a Go duration"},
		},
		{
			name:  "a rule list entry's error names rules[i]",
			files: map[string]string{"a.yaml": "rules:\n  - name: ok\n    eventDomain: fault\n    action: restart\n  - name: bad\n    eventDomain: fault\n    action: restart\n    condition: \"event.faultFields +\"\n"},
			want:  []string{"a.yaml:8:36: rules[1].condition: CEL: Syntax error"},
		},
		{
			name: "a duplicate name across files",
			files: map[string]string{
				"a.yaml": head,
				"b.yaml": "---\n" + head,
			},
			want: []string{`b.yaml:5:9: metadata.name: duplicate FCAPSRule name "r1" (first at a.yaml:4:9)`},
		},
		{
			name:  "a duplicate name in a rule list",
			files: map[string]string{"a.yaml": "rules:\n  - {name: x, eventDomain: fault, action: restart}\n  - {name: x, eventDomain: fault, action: restart}\n"},
			want:  []string{`a.yaml:3:12: rules[1].name: duplicate FCAPSRule name "x" (first at a.yaml:2:12)`},
		},
		{
			name:  "not YAML",
			files: map[string]string{"a.yaml": "rules:\n  - name: [\n"},
			want:  []string{"a.yaml:2: not valid YAML"},
		},
		{
			name: "every error of every file is reported, in file order",
			files: map[string]string{
				"a.yaml": head + "  condition: \"1\"\n",
				"b.yaml": metricHead + "  condition: \"metrics[\"\n",
			},
			want: []string{"a.yaml:8:15: spec.condition: a condition must be a bool", "b.yaml:7:23: spec.condition: CEL: Syntax error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			rules, err := Load(dir, Options{})
			require.Error(t, err)
			require.Nil(t, rules)
			var list ProblemList
			require.True(t, errors.As(err, &list), "%v", err)
			require.Len(t, list, len(tt.want), "%v", err)
			for i, p := range list {
				got := strings.ReplaceAll(p.String(), dir+string(filepath.Separator), "")
				require.True(t, strings.HasPrefix(got, tt.want[i]), "problem %d:\n got %s\nwant %s...", i, got, tt.want[i])
			}
		})
	}
}

func TestLoadDirectory(t *testing.T) {
	t.Run("a missing directory is an empty rule set", func(t *testing.T) {
		rules, err := Load(filepath.Join(t.TempDir(), "none"), Options{})
		require.NoError(t, err)
		require.Empty(t, rules)
	})
	t.Run("subdirectories are read, dot-directories and other files are not", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.yaml"), "rules:\n  - {name: a, eventDomain: fault, action: restart}\n")
		writeFile(t, filepath.Join(dir, "sub", "b.yml"), "rules:\n  - {name: b, eventDomain: fault, action: restart}\n")
		writeFile(t, filepath.Join(dir, ".git", "c.yaml"), "rules:\n  - {name: c, eventDomain: fault, action: restart}\n")
		writeFile(t, filepath.Join(dir, "README.md"), "rules:\n  - {name: d}\n")
		writeFile(t, filepath.Join(dir, ".e.yaml"), "rules:\n  - {name: e}\n")
		rules, err := Load(dir, Options{})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b"}, names(rules))
	})
	t.Run("other kinds are ignored, a Role's rules: is not a rule list", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "mixed.yaml"), `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get]
---
apiVersion: nephoran.com/v1
kind: CNFDeployment
metadata: {name: upf}
---
# an empty document
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata: {name: m}
spec: {condition: "metrics['kpm.ue_count'] > 400", action: scale_out, for: 3, approval: auto, clearCondition: "metrics['kpm.ue_count'] < 300"}
`)
		rules, err := Load(dir, Options{})
		require.NoError(t, err)
		require.Equal(t, []string{"m"}, names(rules))
		r := rules[0]
		require.Equal(t, 3, r.For)
		require.Equal(t, nephv1.ApprovalAuto, r.Approval)
		require.Equal(t, DefaultCooldown, r.Cooldown)
		require.NotNil(t, r.Clear)
		ok, err := r.Clear(context.Background(), &model.Input{Metrics: map[string]float64{"kpm.ue_count": 250}})
		require.NoError(t, err)
		require.True(t, ok)
	})
	t.Run("a file instead of a directory is loaded alone", func(t *testing.T) {
		rules, err := Load(filepath.Join("testdata", "seed", "fcaps-rules.yaml"), Options{})
		require.NoError(t, err)
		require.Equal(t, []string{"link-down-migration"}, names(rules))
	})
	t.Run("the same name in the two kinds is allowed", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.yaml"), "rules:\n  - {name: same, eventDomain: fault, action: restart}\n---\n"+
			"apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata: {name: same}\nspec: {condition: 'true', action: restart}\n")
		rules, err := Load(dir, Options{})
		require.NoError(t, err)
		require.Len(t, rules, 2)
	})
	t.Run("an FCAPSRule without a condition matches every event", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.yaml"), "rules:\n  - {name: any, eventDomain: fault, action: restart}\n")
		var observed int
		rules, err := Load(dir, Options{Observe: func(string, time.Duration, error) { observed++ }})
		require.NoError(t, err)
		ok, err := rules[0].Condition(context.Background(), &model.Input{Event: faultEvent("X", nil)})
		require.NoError(t, err)
		require.True(t, ok)
		require.Zero(t, observed, "nothing was evaluated")
	})
	t.Run("warnings of a good load go to Warn", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.yaml"), "rules:\n  - name: w\n    eventDomain: fault\n    action: restart\n    condition: event.faultFields.alarmAdditionalInformation.count > 5\n")
		var warnings []Problem
		rules, err := Load(dir, Options{Warn: func(p Problem) { warnings = append(warnings, p) }})
		require.NoError(t, err)
		require.Len(t, rules, 1)
		require.Len(t, warnings, 1)
		require.True(t, warnings[0].Warning)
	})
}

func names(rules []model.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Name)
	}
	return out
}
