package decide_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

func alarmIs(condition string) func(context.Context, *model.Input) (bool, error) {
	return func(_ context.Context, in *model.Input) (bool, error) {
		ff, _ := in.Event["faultFields"].(map[string]any)
		return ff["alarmCondition"] == condition, nil
	}
}

func TestEventMapping(t *testing.T) {
	cnfs := []*nephv1.CNFDeployment{
		newCNF("du-1", "gnb-1", 2, 1, 5, withSources("du-a", "du-b")),
		newCNF("du-2", "gnb-2", 2, 1, 5, withSources("du-b")),
		newCNF("upf-1", "gnb-3", 2, 1, 5), // sourceName defaults to its name
	}
	rules := []model.Rule{
		eventRule("link-down", "fault", nephv1.ActionRestart, minSeverity(nephv1.SeverityMajor), func(r *model.Rule) { r.Condition = alarmIs("LinkDown") }),
		eventRule("kpi", "measurement", nephv1.ActionRestart),
	}
	for _, tc := range []struct {
		name string
		e    model.Event
		want []string
	}{
		{name: "every CNF listing the sourceName", e: fault("du-b", "f-1", 1, "LinkDown", "CRITICAL", at(0)),
			want: []string{"link-down@du-1: proposal", "link-down@du-2: proposal"}},
		{name: "one CNF", e: fault("du-a", "f-1", 1, "LinkDown", "MAJOR", at(0)), want: []string{"link-down@du-1: proposal"}},
		{name: "the CNF's name when it lists no sourceNames", e: fault("upf-1", "f-1", 1, "LinkDown", "MAJOR", at(0)), want: []string{"link-down@upf-1: proposal"}},
		{name: "an unknown sourceName maps to nothing", e: fault("du-z", "f-1", 1, "LinkDown", "CRITICAL", at(0)), want: []string{}},
		{name: "below the minimum severity", e: fault("du-a", "f-1", 1, "LinkDown", "MINOR", at(0)), want: []string{}},
		{name: "a false condition", e: fault("du-a", "f-1", 1, "FanFailure", "CRITICAL", at(0)), want: []string{}},
		{name: "another domain's rule, without condition or minimum severity",
			e: vesEvent("measurement", "du-a", "m-1", 0, "", at(0), map[string]any{"measurementFields": map[string]any{}}), want: []string{"kpi@du-1: proposal"}},
		{name: "domains match exactly", e: vesEvent("measurementsForVfScaling", "du-a", "m-1", 0, "", at(0), nil), want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, rules, cnfs...)
			require.Equal(t, tc.want, outcomes(event(t, s, tc.e)))
		})
	}
}

func TestMetricRulesIgnoreEventsAndEventRulesIgnoreWindows(t *testing.T) {
	s := newState(t, []model.Rule{
		metricRule("metric", nephv1.ActionScaleOut, always),
		eventRule("event", "fault", nephv1.ActionRestart),
	}, newCNF("upf-1", "gnb-1", 2, 1, 5))
	require.Equal(t, []string{"event@upf-1: proposal"}, outcomes(event(t, s, fault("upf-1", "f-1", 1, "LinkDown", "MAJOR", at(0)))))
	w := win("gnb-1", 0, 0.9)
	require.Equal(t, []string{"metric@upf-1: proposal"}, outcomes(window(t, s, w, closeOf(w))))
}

func TestExactKeyDedup(t *testing.T) {
	// measurement has no fingerprint: only (sourceName, eventId, sequence).
	s := newState(t, []model.Rule{eventRule("kpi", "measurement", nephv1.ActionRestart, cooldown(sec))},
		newCNF("upf-1", "gnb-1", 2, 1, 5))
	m := func(id string, seq int, d time.Duration) model.Event {
		return vesEvent("measurement", "upf-1", id, seq, "", at(d), nil)
	}
	type step struct {
		e    model.Event
		want string
	}
	for _, st := range []step{
		{m("m-1", 1, 0), "kpi@upf-1: proposal"},
		{m("m-1", 1, 4*time.Minute), "kpi@upf-1: Duplicate"},
		{m("m-1", 2, 4*time.Minute+sec), "kpi@upf-1: proposal"},   // another sequence
		{m("m-2", 1, 4*time.Minute+2*sec), "kpi@upf-1: proposal"}, // another eventId
		// 5 min after its last sighting (t=4m) it is still a duplicate ...
		{m("m-1", 1, 9*time.Minute), "kpi@upf-1: Duplicate"},
		// ... and new once more than 5 min passed since.
		{m("m-1", 1, 14*time.Minute+sec), "kpi@upf-1: proposal"},
	} {
		d := only(t, event(t, s, st.e))
		require.Equal(t, st.want, outcome(d), "event at %s", st.e.ReceivedAt.Sub(t0))
		if d.Suppressed == model.Duplicate {
			require.Contains(t, d.Detail, "already seen")
		}
	}
}

func TestIncidentDedupAndBurst(t *testing.T) {
	s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart, cooldown(sec))},
		newCNF("du-1", "gnb-1", 2, 1, 5))
	// One alarm repeating every 10 s, each with a new sequence.
	raise := func(seq int, d time.Duration) model.Decision {
		return only(t, event(t, s, fault("du-1", "f-1", seq, "LinkDown", "MAJOR", at(d))))
	}
	first := raise(1, 0)
	require.Empty(t, first.Suppressed)
	for seq := 2; seq <= 5; seq++ {
		d := raise(seq, time.Duration(seq-1)*10*sec)
		require.Equal(t, model.Duplicate, d.Suppressed, "event %d", seq)
		require.Contains(t, d.Detail, "is open")
		require.Equal(t, first.ID, d.ID, "the incident's decision id")
		require.Equal(t, first.CorrelationID, d.CorrelationID)
	}
	// t=50s: the 6th event within a minute is a burst, with a count.
	d := raise(6, 50*sec)
	require.Equal(t, model.Burst, d.Suppressed)
	require.Contains(t, d.Detail, "has 6 events: more than 5 within 1m0s")
	require.Equal(t, first.CorrelationID, d.CorrelationID)
	d = raise(7, 55*sec)
	require.Equal(t, model.Burst, d.Suppressed)
	require.Contains(t, d.Detail, "has 7 events")
	// t=2m: the rate fell below the threshold but the incident is open.
	d = raise(8, 2*time.Minute)
	require.Equal(t, model.Duplicate, d.Suppressed)
	require.Contains(t, d.Detail, "event 8 of it")
	// More than 5 min after its last event the incident is over: a new one.
	d = raise(9, 7*time.Minute+sec)
	require.Empty(t, d.Suppressed)
	require.NotEqual(t, first.ID, d.ID)
	require.NotEqual(t, first.CorrelationID, d.CorrelationID)
}

func TestClearClosesTheIncident(t *testing.T) {
	s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart, cooldown(sec))},
		newCNF("du-1", "gnb-1", 2, 1, 5))
	ev := func(seq int, sev string, d time.Duration) model.Decision {
		return only(t, event(t, s, fault("du-1", "f-1", seq, "LinkDown", sev, at(d))))
	}
	opened := ev(1, "MAJOR", 0)
	require.Empty(t, opened.Suppressed)
	require.Equal(t, "du-1/f-1/2026-03-01T12:00:00Z", opened.CorrelationID)
	require.Equal(t, model.Duplicate, ev(2, "MAJOR", 10*sec).Suppressed)

	cleared := ev(3, "NORMAL", 20*sec)
	require.Equal(t, model.Cleared, cleared.Suppressed)
	require.Contains(t, cleared.Detail, "closes incident du-1/f-1/2026-03-01T12:00:00Z after 2 events")
	require.Equal(t, opened.ID, cleared.ID)
	require.Nil(t, cleared.Intent)

	// The next raise opens a new incident and is evaluated again.
	reopened := ev(4, "MAJOR", 30*sec)
	require.Empty(t, reopened.Suppressed)
	require.Equal(t, "du-1/f-1/2026-03-01T12:00:30Z", reopened.CorrelationID)
	require.NotEqual(t, opened.ID, reopened.ID)

	// A CLEAR with nothing open is still recorded.
	ev(5, "NORMAL", 40*sec)
	orphan := ev(6, "NORMAL", 50*sec)
	require.Equal(t, model.Cleared, orphan.Suppressed)
	require.Equal(t, "CLEAR with no open incident", orphan.Detail)
}

func TestFlappingAlarmIsABurst(t *testing.T) {
	s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart, cooldown(sec))},
		newCNF("du-1", "gnb-1", 2, 1, 5))
	var got []string
	for i := range 6 {
		raise := fault("du-1", "f-1", 2*i, "LinkDown", "MAJOR", at(time.Duration(i)*10*sec))
		clear := fault("du-1", "f-1", 2*i+1, "LinkDown", "NORMAL", at(time.Duration(i)*10*sec+5*sec))
		got = append(got, outcome(only(t, event(t, s, raise))), outcome(only(t, event(t, s, clear))))
	}
	require.Equal(t, []string{
		"link-down@du-1: proposal", "link-down@du-1: Cleared",
		"link-down@du-1: proposal", "link-down@du-1: Cleared",
		"link-down@du-1: proposal", "link-down@du-1: Cleared",
		"link-down@du-1: proposal", "link-down@du-1: Cleared",
		"link-down@du-1: proposal", "link-down@du-1: Cleared",
		// The 6th raise within a minute: a burst, joined to the incident.
		"link-down@du-1: Burst", "link-down@du-1: Cleared",
	}, got)
}

func TestThresholdCrossingAlerts(t *testing.T) {
	var views []*model.TemplateView
	rule := eventRule("prb-tca", "thresholdCrossingAlert", nephv1.ActionScaleOut, cooldown(sec), func(r *model.Rule) {
		r.Reason = func(v *model.TemplateView) (string, error) {
			views = append(views, v)
			return "PRB at " + v.AlertValue + " on " + v.SourceName, nil
		}
	})
	s := newState(t, []model.Rule{rule}, newCNF("nf-sim", "gnb-1", 2, 1, 5))
	d := only(t, event(t, s, tca("nf-sim", "tca-1", 0, "PRB utilization exceeded threshold", "MAJOR", "SET", "0.92", at(0))))
	require.Empty(t, d.Suppressed)
	require.Equal(t, "PRB at 0.92 on nf-sim", d.Reason)
	require.Equal(t, "nf-sim", views[0].Node)
	require.Equal(t, "thresholdCrossingAlert", views[0].Event["commonEventHeader"].(map[string]any)["domain"])
	require.Empty(t, d.Intent.Validate())
	require.JSONEq(t, `["tca-1"]`, string(d.Intent.Spec.Evidence["eventIds"]))
	require.JSONEq(t, `1`, string(d.Intent.Spec.Evidence["count"]))
	require.JSONEq(t, `"MAJOR"`, string(d.Intent.Spec.Evidence["severity"]))

	// The same description is the same incident, another one is not.
	require.Equal(t, model.Duplicate, only(t, event(t, s, tca("nf-sim", "tca-2", 0, "PRB utilization exceeded threshold", "MAJOR", "CONT", "0.95", at(10*sec)))).Suppressed)
	require.Empty(t, only(t, event(t, s, tca("nf-sim", "tca-3", 0, "Latency exceeded threshold", "MAJOR", "SET", "40", at(11*sec)))).Suppressed)
	// alertAction CLEAR closes it, whatever the severity says.
	cl := only(t, event(t, s, tca("nf-sim", "tca-4", 0, "PRB utilization exceeded threshold", "MAJOR", "CLEAR", "0.5", at(20*sec))))
	require.Equal(t, model.Cleared, cl.Suppressed)
	require.Contains(t, cl.Detail, "after 2 events")
	require.Empty(t, only(t, event(t, s, tca("nf-sim", "tca-5", 0, "PRB utilization exceeded threshold", "MAJOR", "SET", "0.93", at(30*sec)))).Suppressed)
}

func TestDedupAcrossRestart(t *testing.T) {
	rules := []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart)}
	c := newCNF("du-1", "gnb-1", 2, 1, 5)
	live := newState(t, rules, c)
	e1 := fault("du-1", "f-1", 1, "LinkDown", "MAJOR", at(0))
	e2 := fault("du-1", "f-1", 2, "LinkDown", "MAJOR", at(30*sec))
	decisions := append(event(t, live, e1), event(t, live, e2)...)
	require.Equal(t, []string{"link-down@du-1: proposal", "link-down@du-1: Duplicate"}, outcomes(decisions))

	// The watcher restarts at t=1m: the store hands back the recent events
	// (newest first, as it queries) and the recorded decisions.
	restarted := newState(t, rules, c)
	restarted.Restore([]model.Event{e2, e1}, decisions)

	retry := e1
	retry.ReceivedAt = at(time.Minute)
	d := only(t, event(t, restarted, retry))
	require.Equal(t, model.Duplicate, d.Suppressed, "a retransmission after the restart")
	require.Equal(t, decisions[0].ID, d.ID)

	d = only(t, event(t, restarted, fault("du-1", "f-1", 3, "LinkDown", "MAJOR", at(70*sec))))
	require.Equal(t, model.Duplicate, d.Suppressed, "the incident is still open")
	require.Contains(t, d.Detail, "event 3 of it")

	// After the incident ended, the cooldown restored from the decision
	// (t=0, 5 min) still holds at t=4m40s.
	d = only(t, event(t, restarted, fault("du-1", "f-9", 1, "FanFailure", "MAJOR", at(4*time.Minute+40*sec))))
	require.Equal(t, model.CooldownActive, d.Suppressed)
	require.Contains(t, d.Detail, "ends at 2026-03-01T12:05:00Z")
}

func TestMigrateAvoid(t *testing.T) {
	avoidFromEvent := func(r *model.Rule) {
		r.Avoid = func(v *model.TemplateView) ([]string, []string, error) {
			info := v.Event["faultFields"].(map[string]any)["alarmAdditionalInformation"].(map[string]any)
			return []string{info["node"].(string), ""}, []string{info["site"].(string), info["site"].(string)}, nil
		}
	}
	for _, tc := range []struct {
		name      string
		avoid     func(*model.Rule)
		placement *nephv1.Placement
		want      *nephv1.Avoid
		inDetail  string
	}{
		{name: "the event's node and site", avoid: avoidFromEvent,
			want: &nephv1.Avoid{Nodes: []string{"worker-3"}, Sites: []string{"edge-a"}}},
		{name: "one of them is new", avoid: avoidFromEvent, placement: &nephv1.Placement{ExcludedNodes: []string{"worker-3"}},
			want: &nephv1.Avoid{Nodes: []string{"worker-3"}, Sites: []string{"edge-a"}}},
		{name: "everything already avoided", avoid: avoidFromEvent,
			placement: &nephv1.Placement{ExcludedNodes: []string{"worker-3"}, ExcludedSites: []string{"edge-a"}},
			inDetail:  "already excluded"},
		{name: "nothing to avoid", avoid: func(r *model.Rule) {
			r.Avoid = func(*model.TemplateView) ([]string, []string, error) { return []string{""}, nil, nil }
		}, inDetail: "no node or site to avoid"},
		{name: "no avoid templates", avoid: func(*model.Rule) {}, inDetail: "no node or site to avoid"},
		{name: "it would leave no site", avoid: avoidFromEvent, placement: &nephv1.Placement{Sites: []string{"edge-a"}},
			inDetail: "would leave no site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCNF("du-1", "gnb-1", 2, 1, 5)
			c.Spec.Placement = tc.placement
			s := newState(t, []model.Rule{eventRule("evacuate", "fault", nephv1.ActionMigrate, tc.avoid)}, c)
			d := only(t, event(t, s, fault("du-1", "f-1", 1, "NodeNotReady", "CRITICAL", at(0))))
			if tc.want == nil {
				require.Equal(t, model.AtBound, d.Suppressed)
				require.Contains(t, d.Detail, tc.inDetail)
				return
			}
			require.Empty(t, d.Suppressed, d.Detail)
			require.Equal(t, tc.want, d.Intent.Spec.Avoid)
			require.Equal(t, "du-1-migrate-"+d.ID[:10], d.Intent.Name)
			require.Empty(t, d.Intent.Validate())
		})
	}
}

func TestAvoidErrorSkipsTheRule(t *testing.T) {
	s := newState(t, []model.Rule{eventRule("evacuate", "fault", nephv1.ActionMigrate, func(r *model.Rule) {
		r.Avoid = func(*model.TemplateView) ([]string, []string, error) { return nil, nil, context.DeadlineExceeded }
	})}, newCNF("du-1", "gnb-1", 2, 1, 5))
	out, errs := s.Event(context.Background(), fault("du-1", "f-1", 1, "NodeNotReady", "CRITICAL", at(0)), at(0))
	require.Empty(t, out)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], context.DeadlineExceeded)
}

func TestEventDecisionIsDeterministic(t *testing.T) {
	run := func() []model.Decision {
		s := newState(t, []model.Rule{
			eventRule("b-restart", "fault", nephv1.ActionRestart, priority(1)),
			eventRule("a-scale", "fault", nephv1.ActionScaleOut, priority(1)),
		}, newCNF("du-2", "gnb-2", 2, 1, 5, withSources("du")), newCNF("du-1", "gnb-1", 2, 1, 5, withSources("du")))
		return event(t, s, fault("du", "f-1", 1, "LinkDown", "MAJOR", at(0)))
	}
	out := run()
	require.Equal(t, []string{
		"a-scale@du-1: proposal", "b-restart@du-1: LowerPriority",
		"a-scale@du-2: proposal", "b-restart@du-2: LowerPriority",
	}, outcomes(out))
	again := run()
	require.Equal(t, out, again)
	raw, err := json.Marshal(out)
	require.NoError(t, err)
	rawAgain, err := json.Marshal(again)
	require.NoError(t, err)
	require.JSONEq(t, string(raw), string(rawAgain))
}

func TestEventTimeDefaultsToNow(t *testing.T) {
	// An event without ReceivedAt (replay of a hand-written file) is timed by now.
	s := newState(t, []model.Rule{eventRule("link-down", "fault", nephv1.ActionRestart)}, newCNF("du-1", "gnb-1", 2, 1, 5))
	e := fault("du-1", "f-1", 1, "LinkDown", "MAJOR", time.Time{})
	out, errs := s.Event(context.Background(), e, at(42*sec))
	require.Empty(t, errs)
	require.Equal(t, "du-1/f-1/2026-03-01T12:00:42Z", only(t, out).CorrelationID)
}
