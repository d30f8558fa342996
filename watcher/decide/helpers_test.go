package decide_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/model"
)

// t0 is the fake clock's origin; timelines read "t=30s" as at(30*time.Second).
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const sec = time.Second

func i32(v int32) *int32 { return &v }

const prb = "kpm.prb_utilization"

// newCNF is a CNFDeployment on E2 node node (VES sourceName = its name).
func newCNF(name, node string, replicas, lo, hi int32, opts ...func(*nephv1.CNFDeployment)) *nephv1.CNFDeployment {
	c := &nephv1.CNFDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: nephv1.APIVersion, Kind: nephv1.KindCNFDeployment},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ran"},
		Spec: nephv1.CNFDeploymentSpec{
			NFType:   nephv1.NFTypeUPF,
			Image:    "registry.example/upf:1.0",
			Replicas: replicas,
			Scaling:  nephv1.Scaling{MinReplicas: lo, MaxReplicas: hi},
			KPM:      &nephv1.KPM{NodeID: node},
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func withLabels(kv ...string) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) {
		c.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			c.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withNFType(t nephv1.NFType) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) { c.Spec.NFType = t }
}

func withCells(ids ...string) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) { c.Spec.KPM.CellIDs = ids }
}

func withSources(names ...string) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) { c.Spec.VES = &nephv1.VES{SourceNames: names} }
}

func withAnnotations(kv ...string) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) {
		c.Annotations = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			c.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func withPlacement(p nephv1.Placement) func(*nephv1.CNFDeployment) {
	return func(c *nephv1.CNFDeployment) { c.Spec.Placement = &p }
}

func prbAbove(x float64) func(context.Context, *model.Input) (bool, error) {
	return func(_ context.Context, in *model.Input) (bool, error) { return in.Metrics[prb] > x, nil }
}

func prbBelow(x float64) func(context.Context, *model.Input) (bool, error) {
	return func(_ context.Context, in *model.Input) (bool, error) { return in.Metrics[prb] < x, nil }
}

func always(context.Context, *model.Input) (bool, error) { return true, nil }

func reasonTemplate(v *model.TemplateView) (string, error) {
	return fmt.Sprintf("%s on %s from %s", v.Rule, v.CNF, v.SourceName), nil
}

func metricRule(name string, action nephv1.Action, cond func(context.Context, *model.Input) (bool, error), opts ...func(*model.Rule)) model.Rule {
	r := model.Rule{Name: name, Kind: model.MetricRule, Action: action, Condition: cond, Reason: reasonTemplate}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func eventRule(name, domain string, action nephv1.Action, opts ...func(*model.Rule)) model.Rule {
	r := model.Rule{Name: name, Kind: model.EventRule, Action: action, EventDomain: domain, Reason: reasonTemplate}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func forN(n int) func(*model.Rule)               { return func(r *model.Rule) { r.For = n } }
func priority(p int32) func(*model.Rule)         { return func(r *model.Rule) { r.Priority = p } }
func cooldown(d time.Duration) func(*model.Rule) { return func(r *model.Rule) { r.Cooldown = d } }
func minSeverity(s nephv1.Severity) func(*model.Rule) {
	return func(r *model.Rule) { r.MinSeverity = s }
}
func target(t nephv1.RuleTarget) func(*model.Rule) { return func(r *model.Rule) { r.Target = &t } }
func bounds(lo, hi *int32) func(*model.Rule) {
	return func(r *model.Rule) { r.MinReplicas, r.MaxReplicas = lo, hi }
}
func clearWhen(cond func(context.Context, *model.Input) (bool, error)) func(*model.Rule) {
	return func(r *model.Rule) { r.Clear = cond }
}

// win is the closed 30 s window of node starting at t0+start, its newest
// sample at its end.
func win(node string, start time.Duration, prbValue float64) model.Window {
	s := at(start)
	return model.Window{
		NodeID:  node,
		Start:   s,
		End:     s.Add(30 * sec),
		Metrics: map[string]float64{prb: prbValue, "kpm.ue_count": 12},
		Cells: map[string]map[string]float64{
			"c1": {prb: prbValue},
			"c2": {prb: prbValue},
		},
		Newest: s.Add(30 * sec),
	}
}

// closeOf is the moment a window is evaluated: 1 s after its end.
func closeOf(w model.Window) time.Time { return w.End.Add(sec) }

// fault is a fault event received at t.
func fault(source, eventID string, seq int, condition, severity string, t time.Time) model.Event {
	return vesEvent("fault", source, eventID, seq, severity, t, map[string]any{
		"faultFields": map[string]any{
			"faultFieldsVersion": "4.0",
			"alarmCondition":     condition,
			"alarmInterfaceA":    "eth0",
			"eventSeverity":      severity,
			"eventSourceType":    "other",
			"specificProblem":    condition,
			"vfStatus":           "Active",
			"alarmAdditionalInformation": map[string]any{
				"node": "worker-3",
				"site": "edge-a",
			},
		},
	})
}

// tca is a thresholdCrossingAlert received at t.
func tca(source, eventID string, seq int, description, severity, action, value string, t time.Time) model.Event {
	return vesEvent("thresholdCrossingAlert", source, eventID, seq, severity, t, map[string]any{
		"thresholdCrossingAlertFields": map[string]any{
			"thresholdCrossingFieldsVersion": "4.0",
			"alertDescription":               description,
			"alertAction":                    action,
			"alertType":                      "INTERFACE",
			"eventSeverity":                  severity,
			"alertValue":                     value,
		},
	})
}

func vesEvent(domain, source, eventID string, seq int, severity string, t time.Time, fields map[string]any) model.Event {
	obj := map[string]any{
		"commonEventHeader": map[string]any{
			"domain":             domain,
			"eventId":            eventID,
			"eventName":          domain + "_test",
			"sequence":           seq,
			"sourceName":         source,
			"priority":           "High",
			"startEpochMicrosec": t.UnixMicro(),
			"lastEpochMicrosec":  t.UnixMicro(),
			"version":            "4.1",
		},
	}
	for k, v := range fields {
		obj[k] = v
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return model.Event{
		ReceivedAt: t, Domain: domain, EventID: eventID, EventName: domain + "_test", SourceName: source,
		Severity: severity, Result: model.Accepted, Raw: raw,
	}
}

// outcome is one output in short form: "rule@cnf: proposal" or
// "rule@cnf: Reason".
func outcome(d model.Decision) string {
	if d.Suppressed == "" {
		return fmt.Sprintf("%s@%s: proposal", d.Rule, d.CNF)
	}
	return fmt.Sprintf("%s@%s: %s", d.Rule, d.CNF, d.Suppressed)
}

func outcomes(ds []model.Decision) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, outcome(d))
	}
	return out
}

// newState is a State with rules and inventory set.
func newState(t testing.TB, rules []model.Rule, cnfs ...*nephv1.CNFDeployment) *decide.State {
	t.Helper()
	s := decide.New(decide.Options{})
	require.NoError(t, s.SetRules(rules))
	s.SetInventory(cnfs)
	return s
}

// window evaluates w at its close and requires no rule errors.
func window(t testing.TB, s *decide.State, w model.Window, now time.Time) []model.Decision {
	t.Helper()
	out, errs := s.Window(context.Background(), w, now)
	require.Empty(t, errs)
	return out
}

func event(t testing.TB, s *decide.State, e model.Event) []model.Decision {
	t.Helper()
	out, errs := s.Event(context.Background(), e, e.ReceivedAt)
	require.Empty(t, errs)
	return out
}

// only requires exactly one output and returns it.
func only(t testing.TB, ds []model.Decision) model.Decision {
	t.Helper()
	require.Len(t, ds, 1, "outputs: %v", outcomes(ds))
	return ds[0]
}
