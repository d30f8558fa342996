package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func TestQueryFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	require.NoError(t, s.Append(ctx, []model.Event{
		testEvent("f1", "du-1", "fault", "CRITICAL", at(0)),
		testEvent("f2", "du-1", "fault", "MAJOR", at(1)),
		testEvent("f3", "du-2", "fault", "CRITICAL", at(2)),
		testEvent("t1", "du-2", "thresholdCrossingAlert", "WARNING", at(3)),
		testEvent("h1", "du-1", "heartbeat", "", at(4)),
		testEvent("f4", "cu-1", "fault", "MINOR", at(5)),
	}))

	tests := []struct {
		name string
		q    Query
		want []string // newest first
	}{
		{"no filter returns everything newest first", Query{}, []string{"f4", "h1", "t1", "f3", "f2", "f1"}},
		{"source", Query{Source: "du-1"}, []string{"h1", "f2", "f1"}},
		{"domain", Query{Domain: "fault"}, []string{"f4", "f3", "f2", "f1"}},
		{"severity matches exactly", Query{Severity: "CRITICAL"}, []string{"f3", "f1"}},
		{"severity is case-sensitive", Query{Severity: "critical"}, nil},
		{"since is inclusive", Query{Since: at(3)}, []string{"f4", "h1", "t1"}},
		{"until is exclusive", Query{Until: at(2)}, []string{"f2", "f1"}},
		{"since and until", Query{Since: at(1), Until: at(4)}, []string{"t1", "f3", "f2"}},
		{"since in another zone is the same instant", Query{Since: at(3).In(time.FixedZone("CET", 3600))}, []string{"f4", "h1", "t1"}},
		{"every filter", Query{Source: "du-1", Domain: "fault", Severity: "MAJOR", Since: at(0), Until: at(5)}, []string{"f2"}},
		{"source and domain", Query{Source: "du-2", Domain: "thresholdCrossingAlert"}, []string{"t1"}},
		{"unknown source", Query{Source: "nope"}, nil},
		{"limit", Query{Limit: 2}, []string{"f4", "h1"}},
		{"limit above the maximum is capped", Query{Limit: MaxLimit + 1}, []string{"f4", "h1", "t1", "f3", "f2", "f1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Query(ctx, tc.q)
			require.NoError(t, err)
			if tc.want == nil {
				require.Empty(t, p.Items)
			} else {
				require.Equal(t, tc.want, eventIDs(p.Items))
			}
			if tc.q.Limit > 0 && tc.q.Limit < 6 {
				require.NotEmpty(t, p.NextCursor)
			} else {
				require.Empty(t, p.NextCursor, "a complete result has no next page")
			}
		})
	}
}

func TestQueryPagination(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	var events []model.Event
	wantDU1 := map[string]bool{}
	for i := range 250 {
		// Groups of five share a microsecond, so the id has to break ties.
		at := t0.Add(time.Duration(i/5) * time.Second)
		source := []string{"du-1", "du-2"}[i%2]
		id := fmt.Sprintf("e%03d", i)
		events = append(events, testEvent(id, source, "fault", "MAJOR", at))
		if source == "du-1" {
			wantDU1[id] = true
		}
	}
	require.NoError(t, s.Append(ctx, events))

	tests := []struct {
		name  string
		q     Query
		want  int
		pages int
	}{
		{"all events, pages of 7", Query{Limit: 7}, 250, 36},
		{"one source, pages of 10", Query{Source: "du-1", Limit: 10}, 125, 13},
		{"page size dividing the total", Query{Limit: 50}, 250, 5},
		{"one page of everything", Query{Limit: 250}, 250, 1},
		{"time window", Query{Since: t0.Add(10 * time.Second), Until: t0.Add(20 * time.Second), Limit: 3}, 50, 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			seen := map[string]bool{}
			var prev *model.Event
			pages := 0
			for {
				p, err := s.Query(ctx, q)
				require.NoError(t, err)
				pages++
				require.LessOrEqual(t, len(p.Items), tc.q.Limit)
				for i := range p.Items {
					e := p.Items[i]
					require.False(t, seen[e.EventID], "%s on two pages", e.EventID)
					seen[e.EventID] = true
					if prev != nil {
						require.False(t, e.ReceivedAt.After(prev.ReceivedAt), "not newest first")
					}
					prev = &p.Items[i]
				}
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			require.Len(t, seen, tc.want)
			require.Equal(t, tc.pages, pages)
			if tc.q.Source == "du-1" {
				require.Equal(t, wantDU1, seen)
			}
		})
	}

	t.Run("events appended while paging do not disturb the walk", func(t *testing.T) {
		seen := map[string]bool{}
		q := Query{Limit: 20}
		for n := 0; ; n++ {
			p, err := s.Query(ctx, q)
			require.NoError(t, err)
			for _, e := range p.Items {
				require.False(t, seen[e.EventID], "%s on two pages", e.EventID)
				seen[e.EventID] = true
			}
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
			require.NoError(t, s.Append(ctx, []model.Event{testEvent(fmt.Sprintf("new%d", n), "du-1", "fault", "MAJOR", t0.Add(time.Hour))}))
		}
		require.Len(t, seen, 250, "a walk sees what was there when it started, once")
	})
}

func TestQueryBadCursor(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	for _, c := range []string{"!!!", "djEuMS4y=", "eDEuMS4y", "djEuYS4y", "djEuMS4w", "djEuMQ"} {
		_, err := s.Query(context.Background(), Query{Cursor: c})
		require.ErrorIs(t, err, ErrBadCursor, c)
	}
	c := cursor{receivedAt: t0.UnixMicro(), id: 42}
	got, err := parseCursor(c.String())
	require.NoError(t, err)
	require.Equal(t, c, got)
}

// TestQueryPlan guards the speed of the common queries: each must walk an
// index in the result's order, never sort.
func TestQueryPlan(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	cur := cursor{receivedAt: t0.UnixMicro(), id: 10}.String()
	tests := []struct {
		name  string
		q     Query
		index string
	}{
		{"source and since", Query{Source: "du-1", Since: t0}, "events_source_received"},
		{"source, since and cursor", Query{Source: "du-1", Since: t0, Cursor: cur}, "events_source_received"},
		{"domain and severity", Query{Domain: "fault", Severity: "MAJOR"}, "events_domain_received"},
		{"since only", Query{Since: t0}, "events_received"},
		{"no filter", Query{}, "events_received"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args, err := buildQuery(tc.q, DefaultLimit)
			require.NoError(t, err)
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
			joined := strings.Join(plan, "\n")
			require.Contains(t, joined, tc.index)
			require.NotContains(t, joined, "TEMP B-TREE", "the query sorts")
		})
	}
}
