package decide_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/model"
)

// TestRejectionHoldsTheActionForTheCooldown: a reviewer turned down a
// scale_out of upf-1; a new window (a new decision id) is Rejected until the
// rule's cooldown has passed since the rejection, while other actions and
// other CNFs are not held.
func TestRejectionHoldsTheActionForTheCooldown(t *testing.T) {
	rules := []model.Rule{
		metricRule("out", nephv1.ActionScaleOut, prbAbove(0.85), cooldown(120*sec)),
		metricRule("in", nephv1.ActionScaleIn, prbBelow(0.2), cooldown(120*sec)),
	}
	s := newState(t, rules, newCNF("upf-1", "gnb-1", 2, 1, 5), newCNF("upf-2", "gnb-2", 2, 1, 5))
	s.SetProposals(nil, []model.Rejection{
		{ID: "0123456789abcdef", CNF: "upf-1", Action: nephv1.ActionScaleOut, At: at(60 * sec), Detail: "sent back to Draft"},
		// An older rejection of the same pair never shortens the hold.
		{ID: "fedcba9876543210", CNF: "upf-1", Action: nephv1.ActionScaleOut, At: at(0)},
	})

	w := win("gnb-1", 120*sec, 0.9) // closes at 151s: 91 s after the rejection
	d := only(t, window(t, s, w, closeOf(w)))
	require.Equal(t, model.Rejected, d.Suppressed)
	require.Contains(t, d.Detail, "0123456789abcdef")
	require.Contains(t, d.Detail, "sent back to Draft")
	require.True(t, strings.Contains(d.Detail, at(180*sec).UTC().Format("15:04:05")), d.Detail)

	w = win("gnb-2", 120*sec, 0.9) // another CNF
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed)

	w = win("gnb-1", 150*sec, 0.1) // another action of the same CNF
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed)

	s = newState(t, rules, newCNF("upf-1", "gnb-1", 2, 1, 5))
	s.SetProposals(nil, []model.Rejection{{ID: "0123456789abcdef", CNF: "upf-1", Action: nephv1.ActionScaleOut, At: at(60 * sec)}})
	w = win("gnb-1", 150*sec, 0.9) // closes at 181s: the hold has ended
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed)
}

// TestApprovalRestartsTheCooldown: a proposal merged after its decision
// cools its CNF and action down from the merge, not from the decision.
func TestApprovalRestartsTheCooldown(t *testing.T) {
	rules := []model.Rule{metricRule("out", nephv1.ActionScaleOut, prbAbove(0.85), cooldown(120*sec))}
	s := newState(t, rules, newCNF("upf-1", "gnb-1", 2, 1, 5))
	w := win("gnb-1", 0, 0.9)
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed, "decided at 31s")

	s.Approved("upf-1", nephv1.ActionScaleOut, at(100*sec)) // merged at 100s
	s.Approved("upf-1", nephv1.ActionScaleOut, at(50*sec))  // an older merge never shortens it
	w = win("gnb-1", 150*sec, 0.9)                          // closes at 181s: past the decision's cooldown
	d := only(t, window(t, s, w, closeOf(w)))
	require.Equal(t, model.CooldownActive, d.Suppressed)
	require.Contains(t, d.Detail, at(220*sec).UTC().Format(time.RFC3339))
	w = win("gnb-1", 200*sec, 0.9) // closes at 231s
	require.Empty(t, only(t, window(t, s, w, closeOf(w))).Suppressed)
}

// TestSupersede: with Supersede (pull requests), a decision of another
// action than the CNF's open proposal goes through; the same action, or
// an open proposal of unknown action, still holds it. Without it any open
// proposal holds the CNF.
func TestSupersede(t *testing.T) {
	rules := []model.Rule{
		metricRule("out", nephv1.ActionScaleOut, prbAbove(0.85)),
		metricRule("in", nephv1.ActionScaleIn, prbBelow(0.2)),
	}
	for _, c := range []struct {
		supersede bool
		open      nephv1.Action
		prb       float64
		want      model.Suppression
	}{
		{true, nephv1.ActionScaleOut, 0.1, ""},
		{true, nephv1.ActionScaleOut, 0.9, model.ProposalOpen},
		{true, "", 0.1, model.ProposalOpen},
		{false, nephv1.ActionScaleOut, 0.1, model.ProposalOpen},
	} {
		s := decide.New(decide.Options{Supersede: c.supersede})
		require.NoError(t, s.SetRules(rules))
		s.SetInventory([]*nephv1.CNFDeployment{newCNF("upf-1", "gnb-1", 3, 1, 5)})
		s.SetProposals(map[string]nephv1.Action{"upf-1": c.open}, nil)
		w := win("gnb-1", 0, c.prb)
		require.Equal(t, c.want, only(t, window(t, s, w, closeOf(w))).Suppressed, "%+v", c)
	}
}
