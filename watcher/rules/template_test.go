package rules

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func mustTemplate(t *testing.T, text string) *template {
	t.Helper()
	tm, problems := parseTemplate(scalar{file: "t", field: "intentTemplate", value: text})
	require.Empty(t, problems)
	return tm
}

func TestTemplateRendering(t *testing.T) {
	view := func() *model.TemplateView {
		ev := faultEvent("LINK_DOWN", map[string]any{"site": "edge-1", "node": "worker-3"})
		ev["measurementFields"] = map[string]any{"additionalMeasurements": []any{
			map[string]any{"name": "cpu"}, map[string]any{"name": "prb"},
		}}
		return &model.TemplateView{
			SourceName: "du-edge-1", AlertValue: "0.93", Value: "0.9", CNF: "upf-1", Rule: "r1", Node: "gnb-001",
			Event: ev, Metrics: map[string]float64{"kpm.prb_utilization": 0.91, "DRB.UEThpDl": 120.5},
		}
	}
	tests := []struct{ name, text, want string }{
		{name: "SourceName", text: "Migrate {.SourceName} due to link failure", want: "Migrate du-edge-1 due to link failure"},
		{name: "AlertValue as sent", text: "PRB {.AlertValue}", want: "PRB 0.93"},
		{name: "Value", text: "at {.Value}", want: "at 0.9"},
		{name: "CNF, Rule and Node", text: "{.Rule}: {.CNF} on {.Node}", want: "r1: upf-1 on gnb-001"},
		{name: "an event field by its VES name", text: "{.Event.faultFields.alarmCondition}", want: "LINK_DOWN"},
		{name: "a metric whose name has dots, escaped", text: `{.Metrics.kpm\.prb_utilization}`, want: "0.91"},
		{name: "a missing key renders empty", text: "[{.Event.faultFields.nothing}]", want: "[]"},
		{name: "a range over a list", text: "{range .Event.measurementFields.additionalMeasurements[*]}{.name} {end}", want: "cpu prb "},
		{name: "plain text", text: "scale out", want: "scale out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := mustTemplate(t, tt.text)
			for range 2 { // a template renders the same every time, ranges included
				got, err := tm.render(view())
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
	t.Run("renders concurrently", func(t *testing.T) {
		tm := mustTemplate(t, "{range .Event.measurementFields.additionalMeasurements[*]}{.name} {end}{.SourceName}")
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], _ = tm.render(view())
			}()
		}
		wg.Wait()
		for _, g := range got {
			require.Equal(t, "cpu prb du-edge-1", g)
		}
	})
}

func TestTemplateRefused(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{name: "unclosed action", text: "Migrate {.SourceName", want: "unclosed action"},
		{name: "a field TemplateView lacks", text: "{.sourceName}", want: `unknown field "sourceName"`},
		{name: "a field TemplateView lacks, as the range", text: "{range .Events}{.x}{end}", want: `unknown field "Events"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, problems := parseTemplate(scalar{value: tt.text})
			require.Nil(t, tm)
			require.Len(t, problems, 1)
			require.Contains(t, problems[0].Message, tt.want)
		})
	}
	t.Run("fields relative to a range item are not view fields", func(t *testing.T) {
		mustTemplate(t, "{range .Event.measurementFields.additionalMeasurements}{.name}{end}")
	})
}

func TestReasonAndAvoid(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "r.yaml"), `rules:
  - name: default-avoid
    eventDomain: fault
    action: migrate
  - name: own-avoid
    eventDomain: fault
    action: migrate
    avoid:
      nodes: ["{.Event.faultFields.alarmAdditionalInformation.node}", "{.SourceName}", "{.Node}", "{.Event.faultFields.alarmAdditionalInformation.node}"]
      sites: []
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata: {name: metric}
spec: {condition: "metrics['kpm.prb_utilization'] > 0.85", action: scale_out}
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata: {name: no-metric}
spec: {condition: "cnf.replicas < 2", action: scale_out}
`)
	rules, err := Load(dir, Options{})
	require.NoError(t, err)

	t.Run("default avoid: the fault's site and node, empty values dropped", func(t *testing.T) {
		r := ruleNamed(t, rules, "default-avoid")
		nodes, sites, err := r.Avoid(&model.TemplateView{Event: faultEvent("LINK_DOWN", map[string]any{"site": "edge-1"})})
		require.NoError(t, err)
		require.Empty(t, nodes, "the event names no node")
		require.Equal(t, []string{"edge-1"}, sites)
		nodes, sites, err = r.Avoid(&model.TemplateView{Event: faultEvent("LINK_DOWN", nil)})
		require.NoError(t, err)
		require.Empty(t, nodes)
		require.Empty(t, sites)
	})
	t.Run("own avoid: repeats and empty values dropped, sites: [] means none", func(t *testing.T) {
		r := ruleNamed(t, rules, "own-avoid")
		nodes, sites, err := r.Avoid(&model.TemplateView{Event: faultEvent("LINK_DOWN", map[string]any{"site": "edge-1", "node": "worker-3"})})
		require.NoError(t, err)
		require.Equal(t, []string{"worker-3", "du-edge-1"}, nodes, "SourceName comes from the event when the view has none")
		require.Empty(t, sites)
	})
	t.Run("without an intentTemplate the reason names the rule", func(t *testing.T) {
		reason, err := ruleNamed(t, rules, "default-avoid").Reason(&model.TemplateView{Event: faultEvent("LINK_DOWN", nil)})
		require.NoError(t, err)
		require.Equal(t, "rule default-avoid: fault event from du-edge-1", reason)
		v := &model.TemplateView{Metrics: map[string]float64{"kpm.prb_utilization": 0.875}}
		reason, err = ruleNamed(t, rules, "metric").Reason(v)
		require.NoError(t, err)
		require.Equal(t, "rule metric: kpm.prb_utilization = 0.875", reason)
		require.Equal(t, "0.875", v.Value)
		require.Equal(t, "metric", v.Rule)
		reason, err = ruleNamed(t, rules, "no-metric").Reason(nil)
		require.NoError(t, err)
		require.Equal(t, "rule no-metric fired", reason)
	})
	t.Run("a Value decide filled is kept", func(t *testing.T) {
		v := &model.TemplateView{Value: "0.99", Metrics: map[string]float64{"kpm.prb_utilization": 0.875}}
		_, err := ruleNamed(t, rules, "metric").Reason(v)
		require.NoError(t, err)
		require.Equal(t, "0.99", v.Value)
	})
	t.Run("a metric rule avoids nothing", func(t *testing.T) {
		nodes, sites, err := ruleNamed(t, rules, "metric").Avoid(&model.TemplateView{})
		require.NoError(t, err)
		require.Empty(t, nodes)
		require.Empty(t, sites)
	})
}
