package git

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// TestMessageSummaryIsOneLineOfAtMost72: the summary is the reason's first
// line, cut with an ellipsis when longer than 72 characters; the whole
// reason then follows in the body, so nothing of it is lost.
func TestMessageSummaryIsOneLineOfAtMost72(t *testing.T) {
	p := &Proposer{opts: Options{Branch: "main"}, remote: &remote{name: "deployments"}}
	long := strings.Repeat("PRB utilization above 90% ", 5)
	for _, tc := range []struct {
		name, reason, summary string
		fullInBody            bool
	}{
		{"short reason is the summary", "scale out upf-edge-1", "scale out upf-edge-1", false},
		{"long reason is cut with an ellipsis", long, strings.TrimSpace(long[:71]) + "…", true},
		{"multi-line reason keeps its first line", "scale out\nbecause PRB is high", "scale out", true},
		{"no reason says action and CNF", "", "scale_out upf-edge-1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := model.Decision{ID: "3f2a9c0d1e4b5a67", CNF: "upf-edge-1", Action: nephv1.ActionScaleOut, Rule: "r", Reason: tc.reason,
				Intent: &nephv1.CNFIntent{}}
			msg := p.message(d, "deploy/upf-edge-1", "")
			lines := strings.Split(msg, "\n")
			require.Equal(t, tc.summary, lines[0])
			require.LessOrEqual(t, utf8.RuneCountInString(lines[0]), summaryMax)
			require.Empty(t, lines[1])
			if tc.fullInBody {
				require.True(t, strings.HasPrefix(strings.Join(lines[2:], "\n"), strings.TrimSpace(tc.reason)+"\n\n"), msg)
			} else {
				require.True(t, strings.HasPrefix(lines[2], "Rule:"), msg)
			}
		})
	}
}

// TestTrailersAreReadBack: what message writes, trailers reads, and the
// last value of a key wins over the same key in the reason.
func TestTrailersAreReadBack(t *testing.T) {
	p := &Proposer{opts: Options{Branch: "main"}, remote: &remote{name: "deployments"}}
	d := model.Decision{ID: "3f2a9c0d1e4b5a67", CNF: "upf-edge-1", Action: nephv1.ActionRestart, Rule: "restart-on-fault",
		Reason: "restart\nNephoran-Decision-Id: forged", CorrelationID: "inc-7", Intent: &nephv1.CNFIntent{}}
	d.Intent.Name = "upf-edge-1-restart-3f2a9c0d1e"
	got := trailers(p.message(d, "deploy/upf-edge-1", "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67"))
	require.Equal(t, map[string]string{
		TrailerIntentID:      "upf-edge-1-restart-3f2a9c0d1e",
		TrailerDecisionID:    "3f2a9c0d1e4b5a67",
		TrailerCNF:           "upf-edge-1",
		TrailerAction:        "restart",
		TrailerRule:          "restart-on-fault",
		TrailerCorrelationID: "inc-7",
		TrailerMergedFrom:    "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67",
	}, got)
}
