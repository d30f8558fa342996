package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/nephoran/nephoran/watcher/model"
)

// FuzzLoad feeds arbitrary bytes to the loader as a rule file: it must
// return rules or problems, never panic.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"fcaps-rules.yaml", "high-prb-scaling.yaml", "upf-prb-scaling.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "seed", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("rules:\n  - {name: a, eventDomain: fault, action: migrate, avoid: {nodes: ['{.Event'], sites: []}}\n"))
	f.Add([]byte("---\n---\nrules: [1, 2]\n---\nkind: FCAPSRule\napiVersion: nephoran.com/v1\nspec: []\n"))
	f.Add([]byte("apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata: {name: x}\nspec:\n  condition: |\n    metrics['a'] >\n      'x'\n  action: restart\n"))
	f.Add([]byte("rules:\n  - name: a\n    eventDomain: fault\n    action: restart\n    condition: \"event.a[\\\"\\u00e9\\\"] \\\n      > 1\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Check("fuzz.yaml", data)
	})
}

// FuzzCompile compiles arbitrary conditions in both environments: no
// panic, and any condition that loads evaluates on a sample input without
// reaching the cost limit (the estimate at load bounds it).
func FuzzCompile(f *testing.F) {
	for _, c := range []string{
		"metrics['kpm.prb_utilization'] > 0.85",
		"event.thresholdCrossingAlertFields.alertValue > 0.9",
		"event.faultFields.alarmCondition == 'LINK_DOWN'",
		"cell.exists(c, cell[c]['kpm.prb_utilization'] > 0.9)",
		"event.all(a, event.all(b, a == b))",
		"cnf.labels.exists(k, k.startsWith('x')) || node.matches('^gnb-[0-9]+$')",
		"[1, 2, 3].map(x, [x, x].map(y, y * 2)).size() > 2",
		"event.commonEventHeader.sourceName.split('-').size() > 1",
		"has(event.faultFields) ? event.faultFields.eventSeverity == 'CRITICAL' : false",
		"metrics.exists(m, metrics[m] > 2.0)",
	} {
		f.Add(c)
	}
	in := &model.Input{
		Event:   faultEvent("LINK_DOWN", map[string]any{"site": "edge-1", "node": "worker-3"}),
		Metrics: map[string]float64{"kpm.prb_utilization": 0.9, "kpm.ue_count": 450},
		CNF:     model.CNFView{Name: "upf-1", NFType: "upf", Replicas: 2, MaxReplicas: 4, Labels: map[string]string{"site": "edge-1"}},
		Node:    "gnb-001",
		Cells:   map[string]map[string]float64{"cell-1": {"kpm.prb_utilization": 0.95}},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, kind := range []model.RuleKind{model.EventRule, model.MetricRule} {
			p, _ := compile(kind, scalar{file: "fuzz", field: "condition", value: expr}, DefaultCostLimit)
			if p == nil {
				continue
			}
			if _, err := p.eval(context.Background(), in); IsCostLimit(err) {
				t.Fatalf("%s condition %q loaded but exceeded the cost limit on a small input: %v", kind, expr, err)
			}
		}
	})
}
