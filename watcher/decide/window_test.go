package decide_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/model"
)

func TestWindowIsEvaluatedOncePerClosedWindow(t *testing.T) {
	s := newState(t, []model.Rule{metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), forN(2))},
		newCNF("upf-1", "gnb-1", 2, 1, 5))

	// t=0 window: 1 of 2.
	w0 := win("gnb-1", 0, 0.9)
	require.Equal(t, []string{"hi-prb@upf-1: Hysteresis"}, outcomes(window(t, s, w0, closeOf(w0))))
	// The same window again (or an older one) is not a second evaluation:
	// it neither counts nor outputs.
	require.Empty(t, window(t, s, w0, closeOf(w0).Add(sec)))
	// t=30s window: 2 of 2, fires.
	w1 := win("gnb-1", 30*sec, 0.9)
	require.Equal(t, []string{"hi-prb@upf-1: proposal"}, outcomes(window(t, s, w1, closeOf(w1))))
	// A node no CNF is on produces nothing.
	require.Empty(t, window(t, s, win("gnb-9", 60*sec, 0.99), at(91*sec)))
}

func TestWindowFalseConditionProducesNothing(t *testing.T) {
	s := newState(t, []model.Rule{metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85))},
		newCNF("upf-1", "gnb-1", 2, 1, 5))
	w := win("gnb-1", 0, 0.5)
	require.Empty(t, window(t, s, w, closeOf(w)))
}

func TestStaleness(t *testing.T) {
	for _, tc := range []struct {
		name         string
		age          time.Duration
		disconnected bool
		want         string
	}{
		{name: "89 s old acts", age: 89 * sec, want: "hi-prb@upf-1: proposal"},
		{name: "90 s old is the limit and acts", age: 90 * sec, want: "hi-prb@upf-1: proposal"},
		{name: "91 s old is stale", age: 91 * sec, want: "hi-prb@upf-1: Stale"},
		{name: "a disconnected node is stale however fresh", age: sec, disconnected: true, want: "hi-prb@upf-1: Stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, []model.Rule{metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85))},
				newCNF("upf-1", "gnb-1", 2, 1, 5))
			w := win("gnb-1", 0, 0.9)
			w.Disconnected = tc.disconnected
			d := only(t, window(t, s, w, w.Newest.Add(tc.age)))
			require.Equal(t, tc.want, outcome(d))
			if d.Suppressed == model.Stale {
				require.Nil(t, d.Intent)
				require.NotEmpty(t, d.Detail)
			}
		})
	}
}

func TestStaleWindowBreaksTheConsecutiveCount(t *testing.T) {
	s := newState(t, []model.Rule{metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), forN(3))},
		newCNF("upf-1", "gnb-1", 2, 1, 5))
	step := func(start time.Duration, stale bool) model.Decision {
		w := win("gnb-1", start, 0.9)
		now := closeOf(w)
		if stale {
			now = w.Newest.Add(91 * sec)
		}
		return only(t, window(t, s, w, now))
	}
	require.Contains(t, step(0, false).Detail, "1 of 3")
	require.Contains(t, step(30*sec, false).Detail, "2 of 3")
	require.Equal(t, model.Stale, step(60*sec, true).Suppressed)
	// The count starts over after the stale window.
	require.Contains(t, step(90*sec, false).Detail, "1 of 3")
	require.Contains(t, step(120*sec, false).Detail, "2 of 3")
	require.Empty(t, step(150*sec, false).Suppressed)
}

func TestHysteresisFor(t *testing.T) {
	s := newState(t, []model.Rule{metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), forN(3), cooldown(time.Minute))},
		newCNF("upf-1", "gnb-1", 2, 1, 5))
	type step struct {
		start  time.Duration
		prb    float64
		want   []string
		detail string
	}
	for _, st := range []step{
		{0, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "1 of 3"},
		{30 * sec, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "2 of 3"},
		{60 * sec, 0.5, []string{}, ""}, // false: resets the count, no output
		{90 * sec, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "1 of 3"},
		{120 * sec, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "2 of 3"},
		{150 * sec, 0.9, []string{"hi-prb@upf-1: proposal"}, ""},
		// Still firing: the count keeps holding, the cooldown suppresses.
		{180 * sec, 0.9, []string{"hi-prb@upf-1: CooldownActive"}, "ends at 2026-03-01T12:04:01Z"},
		// t=241s: the 1 min cooldown from t=181s is over; fires again at once.
		{210 * sec, 0.9, []string{"hi-prb@upf-1: proposal"}, ""},
	} {
		w := win("gnb-1", st.start, st.prb)
		out := window(t, s, w, closeOf(w))
		require.Equal(t, st.want, outcomes(out), "window at %s", st.start)
		if st.detail != "" {
			require.Contains(t, out[0].Detail, st.detail, "window at %s", st.start)
		}
	}
}

func TestHysteresisClearCondition(t *testing.T) {
	// The scale_in threshold (0.8) overlaps the scale_out one (0.85) on
	// purpose: without the clear latch a signal hovering near 0.85 would
	// alternate scale_out and scale_in.
	rules := []model.Rule{
		metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), forN(3), clearWhen(prbBelow(0.6)), cooldown(time.Minute)),
		metricRule("lo-prb", nephv1.ActionScaleIn, prbBelow(0.8), cooldown(time.Minute)),
	}
	s := newState(t, rules, newCNF("upf-1", "gnb-1", 3, 1, 5))
	type step struct {
		start  time.Duration
		prb    float64
		want   []string
		detail string
	}
	for _, st := range []step{
		// Enter: 3 consecutive windows above 0.85.
		{0, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "1 of 3"},
		{30 * sec, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "2 of 3"},
		{60 * sec, 0.9, []string{"hi-prb@upf-1: proposal"}, ""},
		// Hovering below 0.8 but above the clear (0.6): scale_in is held.
		{90 * sec, 0.78, []string{"lo-prb@upf-1: Hysteresis"}, "clearCondition"},
		{120 * sec, 0.7, []string{"lo-prb@upf-1: Hysteresis"}, "rule hi-prb proposed scale_out"},
		// Back up: the for count restarts (the condition was false).
		{150 * sec, 0.9, []string{"hi-prb@upf-1: Hysteresis"}, "1 of 3"},
		{180 * sec, 0.79, []string{"lo-prb@upf-1: Hysteresis"}, ""},
		// Exit: the clear holds on this closed window, so scale_in may act.
		{210 * sec, 0.5, []string{"lo-prb@upf-1: proposal"}, ""},
		{240 * sec, 0.5, []string{"lo-prb@upf-1: CooldownActive"}, ""},
	} {
		w := win("gnb-1", st.start, st.prb)
		out := window(t, s, w, closeOf(w))
		require.Equal(t, st.want, outcomes(out), "window at %s", st.start)
		if st.detail != "" {
			require.Contains(t, out[0].Detail, st.detail, "window at %s", st.start)
		}
	}
}

func TestClearLatchSurvivesARestartThroughRestore(t *testing.T) {
	rules := []model.Rule{
		metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), clearWhen(prbBelow(0.6))),
		metricRule("lo-prb", nephv1.ActionScaleIn, prbBelow(0.8)),
	}
	c := newCNF("upf-1", "gnb-1", 3, 1, 5)
	first := newState(t, rules, c)
	w := win("gnb-1", 0, 0.9)
	decisions := window(t, first, w, closeOf(w))
	require.Equal(t, []string{"hi-prb@upf-1: proposal"}, outcomes(decisions))

	restarted := newState(t, rules, c)
	restarted.Restore(nil, decisions)
	w = win("gnb-1", 30*sec, 0.7)
	require.Equal(t, []string{"lo-prb@upf-1: Hysteresis"}, outcomes(window(t, restarted, w, closeOf(w))))
	w = win("gnb-1", 60*sec, 0.5)
	require.Equal(t, []string{"lo-prb@upf-1: proposal"}, outcomes(window(t, restarted, w, closeOf(w))))
}

func TestCooldownAcrossRestart(t *testing.T) {
	rule := metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85)) // default 5 min
	annotated := func(action nephv1.Action, when time.Time) *nephv1.CNFDeployment {
		return newCNF("upf-1", "gnb-1", 2, 1, 5, withAnnotations(
			nephv1.AnnotationLastIntentAction, string(action),
			nephv1.AnnotationLastIntentAt, when.Format(time.RFC3339)))
	}
	// Before the restart: a decision at t=31s (the first window's close).
	live := newState(t, []model.Rule{rule}, newCNF("upf-1", "gnb-1", 2, 1, 5))
	w := win("gnb-1", 0, 0.9)
	recorded := window(t, live, w, closeOf(w))
	require.Equal(t, at(31*sec), only(t, recorded).At)

	for _, tc := range []struct {
		name      string
		cnf       *nephv1.CNFDeployment
		decisions []model.Decision
		// the cooldown ends at
		end time.Time
	}{
		{name: "recorded decisions", cnf: newCNF("upf-1", "gnb-1", 2, 1, 5), decisions: recorded, end: at(331 * sec)},
		{name: "last-intent annotations", cnf: annotated(nephv1.ActionScaleOut, at(61*sec)), end: at(361 * sec)},
		{name: "the later annotation wins over an older decision", cnf: annotated(nephv1.ActionScaleOut, at(61*sec)), decisions: recorded, end: at(361 * sec)},
		{name: "the later decision wins over an older annotation", cnf: annotated(nephv1.ActionScaleOut, at(-time.Minute)), decisions: recorded, end: at(331 * sec)},
		{name: "an annotation of another action starts nothing for this one", cnf: annotated(nephv1.ActionScaleIn, at(61*sec))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, []model.Rule{rule}, tc.cnf)
			s.Restore(nil, tc.decisions)
			// t=91s, right after the restart.
			w := win("gnb-1", 60*sec, 0.9)
			d := only(t, window(t, s, w, closeOf(w)))
			if tc.end.IsZero() {
				require.Empty(t, d.Suppressed)
				return
			}
			require.Equal(t, model.CooldownActive, d.Suppressed)
			require.Contains(t, d.Detail, "ends at "+tc.end.Format(time.RFC3339))
			// Still cooling one second before the end, acting at the end.
			w = win("gnb-1", tc.end.Sub(t0)-31*sec, 0.9)
			require.Equal(t, model.CooldownActive, only(t, window(t, s, w, tc.end.Add(-sec))).Suppressed)
			w = win("gnb-1", tc.end.Sub(t0)-30*sec, 0.9)
			require.Empty(t, only(t, window(t, s, w, tc.end)).Suppressed)
		})
	}
}

func TestPriority(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []model.Rule
		want  []string
	}{
		{
			name: "the highest priority wins",
			rules: []model.Rule{
				metricRule("a-scale", nephv1.ActionScaleOut, always, priority(1)),
				metricRule("b-restart", nephv1.ActionRestart, always, priority(5)),
			},
			want: []string{"a-scale@upf-1: LowerPriority", "b-restart@upf-1: proposal"},
		},
		{
			name: "a tie goes to the first rule name",
			rules: []model.Rule{
				metricRule("zz-restart", nephv1.ActionRestart, always, priority(3)),
				metricRule("aa-scale", nephv1.ActionScaleOut, always, priority(3)),
				metricRule("mm-migrate", nephv1.ActionMigrate, always, priority(3)),
			},
			want: []string{"aa-scale@upf-1: proposal", "mm-migrate@upf-1: LowerPriority", "zz-restart@upf-1: LowerPriority"},
		},
		{
			name: "a pending rule does not take part",
			rules: []model.Rule{
				metricRule("a-scale", nephv1.ActionScaleOut, always, priority(1)),
				metricRule("b-restart", nephv1.ActionRestart, always, priority(5), forN(2)),
			},
			want: []string{"a-scale@upf-1: proposal", "b-restart@upf-1: Hysteresis"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, tc.rules, newCNF("upf-1", "gnb-1", 2, 1, 5))
			w := win("gnb-1", 0, 0.9)
			out := window(t, s, w, closeOf(w))
			require.Equal(t, tc.want, outcomes(out))
			for _, d := range out {
				if d.Suppressed == model.LowerPriority {
					require.Contains(t, d.Detail, "wins")
				}
			}
		})
	}
}

func TestTargetNarrowing(t *testing.T) {
	cnfs := []*nephv1.CNFDeployment{
		newCNF("du-1", "gnb-1", 2, 1, 5, withNFType(nephv1.NFTypeDU), withLabels("tier", "edge")),
		newCNF("upf-1", "gnb-1", 2, 1, 5, withLabels("tier", "edge")),
		newCNF("upf-2", "gnb-1", 2, 1, 5, withLabels("tier", "core")),
		newCNF("upf-3", "gnb-2", 2, 1, 5),
	}
	for _, tc := range []struct {
		name   string
		target *nephv1.RuleTarget
		want   []string
	}{
		{name: "no target: every CNF of the node", want: []string{"r@du-1: proposal", "r@upf-1: proposal", "r@upf-2: proposal"}},
		{name: "nfType", target: &nephv1.RuleTarget{NFType: nephv1.NFTypeUPF}, want: []string{"r@upf-1: proposal", "r@upf-2: proposal"}},
		{name: "names", target: &nephv1.RuleTarget{Names: []string{"upf-2", "upf-3"}}, want: []string{"r@upf-2: proposal"}},
		{
			name:   "label selector",
			target: &nephv1.RuleTarget{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "edge"}}},
			want:   []string{"r@du-1: proposal", "r@upf-1: proposal"},
		},
		{
			name: "every set field must match",
			target: &nephv1.RuleTarget{NFType: nephv1.NFTypeUPF,
				Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"edge"}}}}},
			want: []string{"r@upf-1: proposal"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := metricRule("r", nephv1.ActionScaleOut, always)
			r.Target = tc.target
			s := newState(t, []model.Rule{r}, cnfs...)
			w := win("gnb-1", 0, 0.9)
			require.Equal(t, tc.want, outcomes(window(t, s, w, closeOf(w))))
		})
	}
}

func TestInvalidSelectorMatchesNothing(t *testing.T) {
	s := decide.New(decide.Options{})
	bad := metricRule("bad", nephv1.ActionScaleOut, always, target(nephv1.RuleTarget{Selector: &metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Near"}}}}))
	err := s.SetRules([]model.Rule{bad, metricRule("good", nephv1.ActionRestart, always)})
	require.ErrorContains(t, err, `"bad": target selector`)
	s.SetInventory([]*nephv1.CNFDeployment{newCNF("upf-1", "gnb-1", 2, 1, 5)})
	w := win("gnb-1", 0, 0.9)
	require.Equal(t, []string{"good@upf-1: proposal"}, outcomes(window(t, s, w, closeOf(w))))
}

func TestCellsAreRestrictedToTheCNFsCells(t *testing.T) {
	var seen []map[string]map[string]float64
	r := metricRule("r", nephv1.ActionScaleOut, func(_ context.Context, in *model.Input) (bool, error) {
		seen = append(seen, in.Cells)
		return false, nil
	})
	s := newState(t, []model.Rule{r},
		newCNF("a-all-cells", "gnb-1", 2, 1, 5),
		newCNF("b-cell-2", "gnb-1", 2, 1, 5, withCells("c2", "c9")))
	w := win("gnb-1", 0, 0.9)
	require.Empty(t, window(t, s, w, closeOf(w)))
	require.Len(t, seen, 2)
	require.Len(t, seen[0], 2)
	require.Equal(t, map[string]map[string]float64{"c2": {prb: 0.9}}, seen[1])
}

func TestAtBound(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rule     model.Rule
		cnf      *nephv1.CNFDeployment
		atBound  bool
		inDetail string
	}{
		{name: "scale_out below the CNF's max", rule: metricRule("r", nephv1.ActionScaleOut, always), cnf: newCNF("upf-1", "gnb-1", 4, 1, 5)},
		{name: "scale_out at the CNF's max", rule: metricRule("r", nephv1.ActionScaleOut, always), cnf: newCNF("upf-1", "gnb-1", 5, 1, 5),
			atBound: true, inDetail: "maximum 5 (spec.scaling.maxReplicas)"},
		{name: "scale_out at the rule's tighter max", rule: metricRule("r", nephv1.ActionScaleOut, always, bounds(nil, i32(3))), cnf: newCNF("upf-1", "gnb-1", 3, 1, 5),
			atBound: true, inDetail: "maximum 3 (the rule's maxReplicas)"},
		{name: "scale_out above the rule's max", rule: metricRule("r", nephv1.ActionScaleOut, always, bounds(nil, i32(3))), cnf: newCNF("upf-1", "gnb-1", 4, 1, 5),
			atBound: true, inDetail: "replicas 4 is at or above the maximum 3"},
		{name: "the CNF's max is tighter than the rule's", rule: metricRule("r", nephv1.ActionScaleOut, always, bounds(nil, i32(9))), cnf: newCNF("upf-1", "gnb-1", 5, 1, 5),
			atBound: true, inDetail: "spec.scaling.maxReplicas"},
		{name: "scale_in at the CNF's min", rule: metricRule("r", nephv1.ActionScaleIn, always), cnf: newCNF("upf-1", "gnb-1", 1, 1, 5),
			atBound: true, inDetail: "minimum 1 (spec.scaling.minReplicas)"},
		{name: "scale_in at the rule's tighter min", rule: metricRule("r", nephv1.ActionScaleIn, always, bounds(i32(2), nil)), cnf: newCNF("upf-1", "gnb-1", 2, 1, 5),
			atBound: true, inDetail: "minimum 2 (the rule's minReplicas)"},
		{name: "scale_in above the rule's min", rule: metricRule("r", nephv1.ActionScaleIn, always, bounds(i32(2), nil)), cnf: newCNF("upf-1", "gnb-1", 3, 1, 5)},
		{name: "scale_to already there", rule: scaleTo(3), cnf: newCNF("upf-1", "gnb-1", 3, 1, 5), atBound: true, inDetail: "already 3"},
		{name: "scale_to outside the bounds", rule: scaleTo(7), cnf: newCNF("upf-1", "gnb-1", 3, 1, 5), atBound: true, inDetail: "above the maximum 5"},
		{name: "scale_to elsewhere", rule: scaleTo(4), cnf: newCNF("upf-1", "gnb-1", 3, 1, 5)},
		{name: "restart has no bound", rule: metricRule("r", nephv1.ActionRestart, always), cnf: newCNF("upf-1", "gnb-1", 5, 1, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, []model.Rule{tc.rule}, tc.cnf)
			w := win("gnb-1", 0, 0.9)
			d := only(t, window(t, s, w, closeOf(w)))
			if !tc.atBound {
				require.Empty(t, d.Suppressed, d.Detail)
				require.Empty(t, d.Intent.Validate())
				return
			}
			require.Equal(t, model.AtBound, d.Suppressed)
			require.Contains(t, d.Detail, tc.inDetail)
			require.Nil(t, d.Intent)
		})
	}
}

func scaleTo(n int32) model.Rule {
	return metricRule("r", nephv1.ActionScaleTo, always, func(r *model.Rule) { r.Replicas = i32(n) })
}

func TestDecisionsDoNotChangeReplicas(t *testing.T) {
	// decide proposes; the inventory changes only when the caller says so.
	c := newCNF("upf-1", "gnb-1", 4, 1, 5)
	s := newState(t, []model.Rule{metricRule("r", nephv1.ActionScaleOut, always, cooldown(time.Second))}, c)
	w := win("gnb-1", 0, 0.9)
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed)
	require.Equal(t, int32(4), c.Spec.Replicas)
	w = win("gnb-1", 30*sec, 0.9)
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed, "still at 4, so not at the bound")
	// Replay simulates the merge: replicas 5 now.
	merged := newCNF("upf-1", "gnb-1", 5, 1, 5)
	s.SetInventory([]*nephv1.CNFDeployment{merged})
	w = win("gnb-1", 60*sec, 0.9)
	require.Equal(t, model.AtBound, only(t, window(t, s, w, closeOf(w))).Suppressed)
}

func TestWindowDecisionOutput(t *testing.T) {
	rule := metricRule("upf-high-prb", nephv1.ActionScaleOut, prbAbove(0.85), func(r *model.Rule) { r.Approval = nephv1.ApprovalAuto })
	run := func() []model.Decision {
		s := newState(t, []model.Rule{rule}, newCNF("upf-edge-1", "gnb-1", 2, 1, 5))
		w := win("gnb-1", 0, 0.9)
		return window(t, s, w, at(31*sec))
	}
	out := run()
	require.Equal(t, out, run(), "the same inputs give the same outputs")
	d := only(t, out)
	require.Len(t, d.ID, 16)
	require.Equal(t, at(31*sec), d.At)
	require.Equal(t, "upf-edge-1", d.CNF)
	require.Equal(t, nephv1.ActionScaleOut, d.Action)
	require.Equal(t, "upf-high-prb", d.Rule)
	require.Equal(t, "upf-high-prb on upf-edge-1 from gnb-1", d.Reason)
	require.Equal(t, "gnb-1/2026-03-01T12:00:00Z", d.CorrelationID)
	require.Equal(t, nephv1.ApprovalAuto, d.Approval)

	in := d.Intent
	require.NotNil(t, in)
	require.Empty(t, in.Validate())
	require.Equal(t, nephv1.APIVersion, in.APIVersion)
	require.Equal(t, nephv1.KindCNFIntent, in.Kind)
	require.Equal(t, "upf-edge-1-scale-out-"+d.ID[:10], in.Name)
	require.Equal(t, nephv1.CNFIntentSpec{
		Target:        "upf-edge-1",
		Action:        nephv1.ActionScaleOut,
		Delta:         1,
		Reason:        d.Reason,
		Source:        "upf-high-prb",
		CorrelationID: d.CorrelationID,
		At:            "2026-03-01T12:00:31Z",
		Evidence: map[string]json.RawMessage{
			"window":  json.RawMessage(`{"node":"gnb-1","start":"2026-03-01T12:00:00Z","end":"2026-03-01T12:00:30Z"}`),
			"metrics": json.RawMessage(`{"kpm.prb_utilization":0.9,"kpm.ue_count":12}`),
		},
	}, in.Spec)

	// Another window, another id; the same window in a fresh state, the same id.
	s := newState(t, []model.Rule{rule}, newCNF("upf-edge-1", "gnb-1", 2, 1, 5))
	w := win("gnb-1", 30*sec, 0.9)
	require.NotEqual(t, d.ID, only(t, window(t, s, w, closeOf(w))).ID)
}

func TestLongCNFNameGivesADNSLabelIntentName(t *testing.T) {
	name := "a-very-long-cnf-name-that-is-almost-at-the-dns-label-limit-xyz"
	s := newState(t, []model.Rule{metricRule("r", nephv1.ActionScaleOut, always)}, newCNF(name, "gnb-1", 2, 1, 5))
	w := win("gnb-1", 0, 0.9)
	d := only(t, window(t, s, w, closeOf(w)))
	require.LessOrEqual(t, len(d.Intent.Name), 63)
	require.Empty(t, d.Intent.Validate())
}

func TestRuleErrorsAreReturnedAndSkipped(t *testing.T) {
	boom := errors.New("no such key: kpm.x")
	rules := []model.Rule{
		metricRule("broken", nephv1.ActionRestart, func(context.Context, *model.Input) (bool, error) { return false, boom }, priority(9)),
		metricRule("fine", nephv1.ActionScaleOut, always, func(r *model.Rule) {
			r.Reason = func(*model.TemplateView) (string, error) { return "", errors.New("bad template") }
		}),
	}
	s := newState(t, rules, newCNF("upf-1", "gnb-1", 2, 1, 5))
	w := win("gnb-1", 0, 0.9)
	out, errs := s.Window(context.Background(), w, closeOf(w))
	require.Len(t, errs, 2)
	require.ErrorIs(t, errs[0], boom)
	require.Equal(t, "broken", errs[0].Rule)
	require.Equal(t, "upf-1", errs[0].CNF)
	require.ErrorContains(t, errs[1], "intentTemplate: bad template")
	// The broken rule is skipped, so it does not outrank the other one, and a
	// failed template falls back to a default reason.
	d := only(t, out)
	require.Equal(t, "fine@upf-1: proposal", outcome(d))
	require.Equal(t, "scale_out upf-1: rule fine", d.Reason)
}

func TestHotReloadKeepsCountersOfRulesThatStay(t *testing.T) {
	stay := metricRule("stay", nephv1.ActionScaleOut, always, forN(3))
	gone := metricRule("gone", nephv1.ActionRestart, always, forN(3))
	s := newState(t, []model.Rule{gone, stay}, newCNF("upf-1", "gnb-1", 2, 1, 5))
	for i, want := range []string{"1 of 3", "2 of 3"} {
		w := win("gnb-1", time.Duration(i)*30*sec, 0.9)
		out := window(t, s, w, closeOf(w))
		require.Len(t, out, 2)
		require.Contains(t, out[0].Detail, want)
		require.Contains(t, out[1].Detail, want)
	}
	require.NoError(t, s.SetRules([]model.Rule{stay}))
	require.NoError(t, s.SetRules([]model.Rule{gone, stay}))
	// An inventory refresh (after a merge) keeps them too.
	s.SetInventory([]*nephv1.CNFDeployment{newCNF("upf-1", "gnb-1", 3, 1, 5)})
	w := win("gnb-1", 60*sec, 0.9)
	out := window(t, s, w, closeOf(w))
	require.Equal(t, []string{"gone@upf-1: Hysteresis", "stay@upf-1: proposal"}, outcomes(out))
	require.Contains(t, out[0].Detail, "1 of 3", "a rule that was removed starts over")
}
