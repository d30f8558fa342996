package decide_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/model"
)

// TestSuppressionOrder builds, for every reason, a case where it and every
// later reason apply at once, and requires the earlier one. Together the
// cases reach every reason and prove model.Suppressions' order.
func TestSuppressionOrder(t *testing.T) {
	// A CNF at its maximum (scale_out is AtBound) whose last intent was a
	// scale_out 10 s before t=0 (CooldownActive until 4m50s).
	atMaxCooling := func() *nephv1.CNFDeployment {
		return newCNF("upf-1", "gnb-1", 5, 1, 5, withAnnotations(
			nephv1.AnnotationLastIntentAction, string(nephv1.ActionScaleOut),
			nephv1.AnnotationLastIntentAt, at(-10*sec).Format(time.RFC3339)))
	}
	scaleOut := func(opts ...func(*model.Rule)) model.Rule {
		return metricRule("scale-out", nephv1.ActionScaleOut, always, opts...)
	}
	// idOf is the decision id the winner of w has (suppressions carry it).
	idOf := func(t *testing.T, w model.Window) string {
		s := newState(t, []model.Rule{scaleOut()}, atMaxCooling())
		return only(t, window(t, s, w, closeOf(w))).ID
	}
	// heldScaleIn is a state where hi-prb (with a clearCondition) proposed
	// scale_out at t=31s, so scale_in is held until prb < 0.3.
	heldScaleIn := func(t *testing.T, rules ...model.Rule) *decide.State {
		hi := metricRule("hi-prb", nephv1.ActionScaleOut, prbAbove(0.85), clearWhen(prbBelow(0.3)))
		s := newState(t, append(rules, hi), newCNF("upf-1", "gnb-1", 3, 1, 5))
		w := win("gnb-1", 0, 0.9)
		require.Contains(t, outcomes(window(t, s, w, closeOf(w))), "hi-prb@upf-1: proposal")
		return s
	}
	pick := func(t *testing.T, ds []model.Decision, rule string) model.Decision {
		for _, d := range ds {
			if d.Rule == rule {
				return d
			}
		}
		t.Fatalf("no output of rule %s in %v", rule, outcomes(ds))
		return model.Decision{}
	}

	cases := []struct {
		name string
		want model.Suppression
		run  func(t *testing.T) model.Decision
	}{
		{
			name: "Stale beats Hysteresis, ProposalOpen, CooldownActive and AtBound",
			want: model.Stale,
			run: func(t *testing.T) model.Decision {
				s := newState(t, []model.Rule{scaleOut(forN(3))}, atMaxCooling())
				s.SetProposals(map[string]nephv1.Action{"upf-1": ""}, nil)
				w := win("gnb-1", 0, 0.9)
				return only(t, window(t, s, w, w.Newest.Add(91*sec)))
			},
		},
		{
			name: "Duplicate beats Burst: a retransmission inside a burst",
			want: model.Duplicate,
			run: func(t *testing.T) model.Decision {
				s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart)}, newCNF("du-1", "gnb-1", 2, 1, 5))
				for i := range 6 {
					event(t, s, fault("du-1", "f-1", i, "LinkDown", "MAJOR", at(time.Duration(i)*sec)))
				}
				return only(t, event(t, s, fault("du-1", "f-1", 5, "LinkDown", "MAJOR", at(7*sec))))
			},
		},
		{
			name: "Duplicate beats Cleared: a retransmitted CLEAR",
			want: model.Duplicate,
			run: func(t *testing.T) model.Decision {
				s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart)}, newCNF("du-1", "gnb-1", 2, 1, 5))
				event(t, s, fault("du-1", "f-1", 1, "LinkDown", "MAJOR", at(0)))
				require.Equal(t, model.Cleared, only(t, event(t, s, fault("du-1", "f-1", 2, "LinkDown", "NORMAL", at(sec)))).Suppressed)
				return only(t, event(t, s, fault("du-1", "f-1", 2, "LinkDown", "NORMAL", at(2*sec))))
			},
		},
		{
			name: "Burst beats ProposalOpen, CooldownActive and AtBound",
			want: model.Burst,
			run: func(t *testing.T) model.Decision {
				s := newState(t, []model.Rule{eventRule("overload", "fault", nephv1.ActionScaleOut)}, atMaxCooling())
				s.SetProposals(map[string]nephv1.Action{"upf-1": ""}, nil)
				for i := range 5 {
					event(t, s, fault("upf-1", "f-1", i, "Overload", "MAJOR", at(time.Duration(i)*sec)))
				}
				return only(t, event(t, s, fault("upf-1", "f-1", 5, "Overload", "MAJOR", at(5*sec))))
			},
		},
		{
			name: "Cleared beats Hysteresis: a CLEAR for a held scale_in",
			want: model.Cleared,
			run: func(t *testing.T) model.Decision {
				s := heldScaleIn(t, eventRule("calm", "fault", nephv1.ActionScaleIn))
				raise := event(t, s, fault("upf-1", "f-1", 1, "Overload", "MAJOR", at(40*sec)))
				require.Equal(t, model.Hysteresis, pick(t, raise, "calm").Suppressed)
				return pick(t, event(t, s, fault("upf-1", "f-1", 2, "Overload", "NORMAL", at(50*sec))), "calm")
			},
		},
		{
			name: "Hysteresis beats LowerPriority: a held rule does not outrank the others",
			want: model.Hysteresis,
			run: func(t *testing.T) model.Decision {
				s := heldScaleIn(t,
					metricRule("lo-prb", nephv1.ActionScaleIn, prbBelow(0.8), priority(9)),
					metricRule("restart", nephv1.ActionRestart, prbBelow(0.8), priority(1)))
				w := win("gnb-1", 30*sec, 0.5)
				ds := window(t, s, w, closeOf(w))
				require.Equal(t, "restart@upf-1: proposal", outcome(pick(t, ds, "restart")))
				return pick(t, ds, "lo-prb")
			},
		},
		{
			name: "LowerPriority beats ProposalOpen",
			want: model.LowerPriority,
			run: func(t *testing.T) model.Decision {
				s := newState(t, []model.Rule{
					metricRule("a-restart", nephv1.ActionRestart, always, priority(1)),
					metricRule("b-restart", nephv1.ActionRestart, always, priority(2)),
				}, newCNF("upf-1", "gnb-1", 2, 1, 5))
				s.SetProposals(map[string]nephv1.Action{"upf-1": ""}, nil)
				w := win("gnb-1", 0, 0.9)
				ds := window(t, s, w, closeOf(w))
				require.Equal(t, model.ProposalOpen, pick(t, ds, "b-restart").Suppressed)
				return pick(t, ds, "a-restart")
			},
		},
		{
			name: "ProposalOpen beats Rejected, CooldownActive and AtBound",
			want: model.ProposalOpen,
			run: func(t *testing.T) model.Decision {
				w := win("gnb-1", 0, 0.9)
				s := newState(t, []model.Rule{scaleOut()}, atMaxCooling())
				s.SetProposals(map[string]nephv1.Action{"upf-1": ""}, []model.Rejection{{ID: idOf(t, w)}})
				return only(t, window(t, s, w, closeOf(w)))
			},
		},
		{
			name: "Rejected beats CooldownActive and AtBound",
			want: model.Rejected,
			run: func(t *testing.T) model.Decision {
				w := win("gnb-1", 0, 0.9)
				s := newState(t, []model.Rule{scaleOut()}, atMaxCooling())
				s.SetProposals(map[string]nephv1.Action{"upf-2": ""}, []model.Rejection{{ID: idOf(t, w)}})
				return only(t, window(t, s, w, closeOf(w)))
			},
		},
		{
			name: "CooldownActive beats AtBound",
			want: model.CooldownActive,
			run: func(t *testing.T) model.Decision {
				w := win("gnb-1", 0, 0.9)
				s := newState(t, []model.Rule{scaleOut()}, atMaxCooling())
				return only(t, window(t, s, w, closeOf(w)))
			},
		},
		{
			name: "AtBound, the last",
			want: model.AtBound,
			run: func(t *testing.T) model.Decision {
				w := win("gnb-1", 5*time.Minute, 0.9) // after the cooldown
				s := newState(t, []model.Rule{scaleOut()}, atMaxCooling())
				return only(t, window(t, s, w, closeOf(w)))
			},
		},
	}
	var reached []model.Suppression
	for _, tc := range cases {
		reached = append(reached, tc.want)
		t.Run(tc.name, func(t *testing.T) {
			d := tc.run(t)
			require.Equal(t, tc.want, d.Suppressed, d.Detail)
			require.NotEmpty(t, d.Detail)
			require.NotEmpty(t, d.ID)
			require.NotEmpty(t, d.Reason)
			require.Nil(t, d.Intent)
		})
	}
	require.Subset(t, reached, model.Suppressions, "every reason has a case")
	require.True(t, slices.IsSortedFunc(reached, func(a, b model.Suppression) int {
		return slices.Index(model.Suppressions, a) - slices.Index(model.Suppressions, b)
	}), "the cases follow model.Suppressions' order")
}
