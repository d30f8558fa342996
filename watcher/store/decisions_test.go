package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// testDecision is a scale-out decision of rule for cnf at at, or with
// suppressed set a suppression (no intent).
func testDecision(id, cnf, rule string, suppressed model.Suppression, at time.Time) model.Decision {
	d := model.Decision{
		ID:            id,
		At:            at,
		CNF:           cnf,
		Action:        nephv1.ActionScaleOut,
		Rule:          rule,
		Reason:        "PRB utilization 0.93 > 0.85 for 60s",
		Suppressed:    suppressed,
		CorrelationID: "win-" + id,
		Approval:      nephv1.ApprovalManual,
	}
	if suppressed != "" {
		d.Detail = "cooldown ends at 12:05:00"
		return d
	}
	d.Intent = &nephv1.CNFIntent{
		TypeMeta:   metav1.TypeMeta{APIVersion: "nephoran.com/v1", Kind: "CNFIntent"},
		ObjectMeta: metav1.ObjectMeta{Name: id},
		Spec: nephv1.CNFIntentSpec{
			Target:        cnf,
			Action:        nephv1.ActionScaleOut,
			Reason:        d.Reason,
			Source:        rule,
			CorrelationID: d.CorrelationID,
			At:            at.Format(time.RFC3339),
			Evidence:      map[string]json.RawMessage{"prb": json.RawMessage(`[0.91,0.93]`)},
		},
	}
	return d
}

func decisionIDs(ds []model.Decision) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

// allDecisions reads every decision q selects, page by page.
func allDecisions(t testing.TB, s *Store, q DecisionQuery) []model.Decision {
	t.Helper()
	var out []model.Decision
	for {
		p, err := s.Decisions(context.Background(), q)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

func TestAppendDecisionsKeepsEveryField(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	decision := testDecision("d1", "upf-1", "prb-high", "", t0.Add(1500*time.Microsecond))
	suppression := testDecision("d1", "upf-1", "prb-high", model.CooldownActive, t0.Add(time.Second))
	noTime := testDecision("d2", "upf-1", "prb-high", model.Duplicate, time.Time{})
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{decision, suppression, noTime}))
	require.Equal(t, uint64(3), s.Stats().Decisions)

	got := allDecisions(t, s, DecisionQuery{})
	require.Len(t, got, 3)
	require.Equal(t, suppression, got[0])
	require.Equal(t, decision, got[1])
	require.Nil(t, got[0].Intent, "a suppression has no intent")
	require.Equal(t, t0, got[2].At, "a decision without At gets the store's clock")

	var intent any
	require.NoError(t, s.r.QueryRow("SELECT intent FROM decisions WHERE suppressed != ''").Scan(&intent))
	require.Nil(t, intent, "NULL for a suppression")
}

func TestDecisionsFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	restart := testDecision("r1", "upf-2", "link-down", "", at(4))
	restart.Action = nephv1.ActionRestart
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{
		testDecision("d1", "upf-1", "prb-high", "", at(0)),
		testDecision("s1", "upf-1", "prb-high", model.CooldownActive, at(1)),
		testDecision("s2", "upf-1", "prb-high", model.Duplicate, at(2)),
		testDecision("d2", "upf-2", "prb-high", "", at(3)),
		restart,
		testDecision("s3", "upf-2", "link-down", model.CooldownActive, at(5)),
	}))

	tests := []struct {
		name string
		q    DecisionQuery
		want []string // newest first
	}{
		{"no filter returns everything newest first", DecisionQuery{}, []string{"s3", "r1", "d2", "s2", "s1", "d1"}},
		{"cnf", DecisionQuery{CNF: "upf-1"}, []string{"s2", "s1", "d1"}},
		{"rule", DecisionQuery{Rule: "link-down"}, []string{"s3", "r1"}},
		{"action", DecisionQuery{Action: string(nephv1.ActionRestart)}, []string{"r1"}},
		{"decisions only", DecisionQuery{Suppressed: SuppressedNone}, []string{"r1", "d2", "d1"}},
		{"one suppression reason", DecisionQuery{Suppressed: string(model.CooldownActive)}, []string{"s3", "s1"}},
		{"since is inclusive, until exclusive", DecisionQuery{Since: at(1), Until: at(3)}, []string{"s2", "s1"}},
		{"every filter", DecisionQuery{CNF: "upf-2", Rule: "prb-high", Action: "scale_out", Suppressed: SuppressedNone, Since: at(0), Until: at(5)}, []string{"d2"}},
		{"unknown cnf", DecisionQuery{CNF: "nope"}, nil},
		{"limit", DecisionQuery{Limit: 2}, []string{"s3", "r1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Decisions(ctx, tc.q)
			require.NoError(t, err)
			if tc.want == nil {
				require.Empty(t, p.Items)
			} else {
				require.Equal(t, tc.want, decisionIDs(p.Items))
			}
			require.Equal(t, tc.q.Limit > 0, p.NextCursor != "")
		})
	}
}

func TestDecisionsPagination(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	var ds []model.Decision
	for i := range 95 {
		// Groups of five share a microsecond: the id breaks ties.
		ds = append(ds, testDecision(fmt.Sprintf("d%02d", i), "upf-1", "prb-high", model.Suppressions[i%3], t0.Add(time.Duration(i/5)*time.Second)))
	}
	require.NoError(t, s.AppendDecisions(ctx, ds))

	for _, limit := range []int{1, 7, 19, 95, 100} {
		t.Run(fmt.Sprintf("pages of %d", limit), func(t *testing.T) {
			got := allDecisions(t, s, DecisionQuery{Limit: limit})
			require.Len(t, got, 95)
			for i := range got {
				require.Equal(t, fmt.Sprintf("d%02d", 94-i), got[i].ID, "newest first, each once")
			}
		})
	}
	_, err := s.Decisions(ctx, DecisionQuery{Cursor: "garbage"})
	require.ErrorIs(t, err, ErrBadCursor)
}

func TestRecentDecisions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	var ds []model.Decision
	for i := range 10 {
		ds = append(ds, testDecision(fmt.Sprintf("d%d", i), "upf-1", "prb-high", "", t0.Add(time.Duration(i)*time.Minute)))
	}
	require.NoError(t, s.AppendDecisions(ctx, ds))

	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"since, oldest first", t0.Add(7 * time.Minute), 0, []string{"d7", "d8", "d9"}},
		{"limit keeps the newest", t0, 3, []string{"d7", "d8", "d9"}},
		{"limit above the count", t0.Add(8 * time.Minute), 5, []string{"d8", "d9"}},
		{"nothing since", t0.Add(time.Hour), 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.RecentDecisions(ctx, tc.since, tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.want, decisionIDs(got))
		})
	}
}

func TestRecentEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	var events []model.Event
	for i := range 10 {
		events = append(events, testEvent(fmt.Sprintf("e%d", i), "du-1", "fault", "MAJOR", t0.Add(time.Duration(i/2)*time.Minute)))
	}
	require.NoError(t, s.Append(ctx, events))

	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"since, oldest first, stored order on a tie", t0.Add(3 * time.Minute), 0, []string{"e6", "e7", "e8", "e9"}},
		{"limit keeps the newest", t0, 3, []string{"e7", "e8", "e9"}},
		{"nothing since", t0.Add(time.Hour), 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.RecentEvents(ctx, tc.since, tc.limit)
			require.NoError(t, err)
			if tc.want == nil {
				require.Empty(t, got)
			} else {
				require.Equal(t, tc.want, eventIDs(got))
			}
		})
	}
	got, err := s.RecentEvents(ctx, t0, 1)
	require.NoError(t, err)
	p, err := s.Query(ctx, Query{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, p.Items, got, "the same events as Query")
}

// TestDecisionsShareTheGroupCommit holds the writer while events and
// decisions queue: they are committed together, and each call returns
// only after that commit.
func TestDecisionsShareTheGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.beforeCommit = func(int) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}

	errs := make(chan error, 3)
	go func() { errs <- s.Append(ctx, []model.Event{testEvent("e0", "du-1", "fault", "MAJOR", t0)}) }()
	<-entered
	go func() { errs <- s.Append(ctx, []model.Event{testEvent("e1", "du-1", "fault", "MAJOR", t0)}) }()
	go func() {
		errs <- s.AppendDecisions(ctx, []model.Decision{testDecision("d1", "upf-1", "prb-high", "", t0)})
	}()
	require.Eventually(t, func() bool { return len(s.reqs) == 2 }, 10*time.Second, time.Millisecond)
	require.Zero(t, s.Stats().Decisions)

	close(release)
	for range 3 {
		require.NoError(t, <-errs)
	}
	st := s.Stats()
	require.Equal(t, uint64(2), st.Transactions, "the held batch, then the event and the decision together")
	require.Equal(t, uint64(1), st.Decisions)
	require.Equal(t, []string{"d1"}, decisionIDs(allDecisions(t, s, DecisionQuery{})))
}

func TestAppendDecisionsContextAndClose(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.AppendDecisions(ctx, []model.Decision{testDecision("d1", "upf-1", "r", "", t0)}), context.Canceled)
	require.NoError(t, s.AppendDecisions(context.Background(), nil))
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.AppendDecisions(context.Background(), []model.Decision{testDecision("d1", "upf-1", "r", "", t0)}), ErrClosed)
	_, err := s.Decisions(context.Background(), DecisionQuery{})
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.RecentDecisions(context.Background(), t0, 0)
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.RecentEvents(context.Background(), t0, 0)
	require.ErrorIs(t, err, ErrClosed)
}

// TestDecisionQueryPlan: each common query walks an index in the result's
// order, never sorts.
func TestDecisionQueryPlan(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	cur := cursor{receivedAt: t0.UnixMicro(), id: 10}.String()
	tests := []struct {
		name  string
		q     DecisionQuery
		index string
	}{
		{"cnf and since", DecisionQuery{CNF: "upf-1", Since: t0}, "decisions_cnf_at"},
		{"cnf and cursor", DecisionQuery{CNF: "upf-1", Cursor: cur}, "decisions_cnf_at"},
		{"rule", DecisionQuery{Rule: "prb-high"}, "decisions_rule_at"},
		{"decisions only", DecisionQuery{Suppressed: SuppressedNone}, "decisions_suppressed_at"},
		{"since only", DecisionQuery{Since: t0}, "decisions_at"},
		{"no filter", DecisionQuery{}, "decisions_at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args, err := buildDecisionQuery(tc.q, DefaultLimit)
			require.NoError(t, err)
			plan := explain(t, s, query, args)
			require.Contains(t, plan, tc.index)
			require.NotContains(t, plan, "TEMP B-TREE", "the query sorts")
		})
	}
}

// explain returns SQLite's query plan of query.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "\n")
}
