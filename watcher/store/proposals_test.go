package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
)

func proposalIDs(qs []model.QueuedProposal) []string {
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.Decision.ID
	}
	return ids
}

// proposal reads the queued proposal of id, which must exist.
func proposal(t testing.TB, s *Store, id string) model.QueuedProposal {
	t.Helper()
	q, ok, err := s.Proposal(context.Background(), id)
	require.NoError(t, err)
	require.True(t, ok, "proposal %q not queued", id)
	return q
}

func proposalRows(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.r.QueryRow("SELECT count(*) FROM proposals").Scan(&n))
	return n
}

func TestAppendDecisionsQueuesDecisions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	decision := testDecision("d1", "upf-1", "prb-high", "", t0.Add(-time.Minute+1500*time.Nanosecond))
	suppression := testDecision("s1", "upf-1", "prb-high", model.CooldownActive, t0)
	noIntent := testDecision("n1", "upf-1", "prb-high", "", t0)
	noIntent.Intent = nil
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{decision, suppression, noIntent}))
	require.Equal(t, uint64(1), s.Stats().Transactions, "the decisions and the queue row in one transaction")

	pending, err := s.PendingProposals(ctx, t0, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"d1"}, proposalIDs(pending), "suppressions and decisions without an intent are not queued")
	recorded := allDecisions(t, s, DecisionQuery{Suppressed: SuppressedNone, CNF: "upf-1", Rule: "prb-high"})
	require.Equal(t, model.QueuedProposal{
		Decision:    recorded[1], // the queue keeps the decision as recorded (At to the microsecond)
		State:       model.ProposalPending,
		NextAttempt: t0,
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}, pending[0])
	require.Equal(t, "d1", recorded[1].ID)
	require.Equal(t, decision.Intent, pending[0].Decision.Intent)

	// The same decision recorded again, alone and twice in one call, is
	// queued once.
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{decision}))
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{
		testDecision("d2", "upf-2", "prb-high", "", t0), testDecision("d2", "upf-2", "prb-high", "", t0),
	}))
	require.Len(t, allDecisions(t, s, DecisionQuery{Suppressed: SuppressedNone}), 5, "every recording is audited")
	require.Equal(t, 2, proposalRows(t, s))
	n, err := s.ProposalCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	// Recorded again after delivery: still delivered, not queued anew.
	require.NoError(t, s.MarkDelivered(ctx, "d1", propose.Proposal{ID: "d1", Ref: "proposed/upf-1/d1"}))
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{decision}))
	require.Equal(t, model.ProposalDelivered, proposal(t, s, "d1").State)
}

// TestDecisionAndItsQueueRowAreOneTransaction makes the queue insert fail:
// the decision is not recorded either, and AppendDecisions says so.
func TestDecisionAndItsQueueRowAreOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	_, err := s.w.ExecContext(ctx, "DROP TABLE proposals")
	require.NoError(t, err)

	err = s.AppendDecisions(ctx, []model.Decision{
		testDecision("s1", "upf-1", "prb-high", model.CooldownActive, t0),
		testDecision("d1", "upf-1", "prb-high", "", t0),
	})
	require.ErrorContains(t, err, `queue decision "d1"`)
	require.Empty(t, allDecisions(t, s, DecisionQuery{}), "neither the decision nor the suppression of its transaction")

	// Suppressions alone are not queued, so they still record.
	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision("s2", "upf-1", "prb-high", model.Duplicate, t0)}))
	require.Equal(t, []string{"s2"}, decisionIDs(allDecisions(t, s, DecisionQuery{})))
}

func TestPendingProposals(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	// Recorded in this order, one call each; x-1 and z-1 then fail.
	for _, d := range []struct{ id, cnf string }{{"x-1", "x"}, {"y-1", "y"}, {"x-2", "x"}, {"z-1", "z"}, {"y-2", "y"}} {
		require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision(d.id, d.cnf, "prb-high", "", t0)}))
	}
	require.NoError(t, s.MarkFailed(ctx, "x-1", "push: connection refused", t0.Add(time.Minute)))
	require.NoError(t, s.MarkFailed(ctx, "z-1", "push: connection refused", t0.Add(30*time.Second)))
	require.NoError(t, s.MarkDelivered(ctx, "y-1", propose.Proposal{ID: "y-1"}))

	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"a CNF waiting for a retry holds back its later proposals", t0, 0, []string{"y-2"}},
		{"a retry is due at its next attempt", t0.Add(30 * time.Second), 0, []string{"z-1", "y-2"}},
		{"in the order recorded once all are due", t0.Add(time.Minute), 0, []string{"x-1", "x-2", "z-1", "y-2"}},
		{"limit takes the oldest", t0.Add(time.Hour), 2, []string{"x-1", "x-2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.PendingProposals(ctx, tc.now, tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.want, proposalIDs(got))
		})
	}

	x1 := proposal(t, s, "x-1")
	require.Equal(t, 1, x1.Attempts)
	require.Equal(t, "push: connection refused", x1.LastError)
	require.Equal(t, t0.Add(time.Minute), x1.NextAttempt)
}

func TestMarkProposals(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Minute)
	delivered := propose.Proposal{ID: "d1", Ref: "proposed/upf-1/d1", Commit: "c0ffee"}
	merged := delivered
	merged.Merged = true
	tests := []struct {
		name    string
		marks   func(s *Store) error // after one MarkFailed
		wantErr string
		want    model.QueuedProposal // all but Decision and CreatedAt, checked apart
	}{
		{
			name:  "delivered records ref and commit and clears the error",
			marks: func(s *Store) error { return s.MarkDelivered(ctx, "d1", delivered) },
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", UpdatedAt: later},
		},
		{
			name: "delivered again (a retried call) succeeds and never unmerges",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", merged))
				return s.MarkDelivered(ctx, "d1", delivered)
			},
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", Merged: true, UpdatedAt: later},
		},
		{
			name: "merged after delivery",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", delivered))
				return s.MarkMerged(ctx, "d1")
			},
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", Merged: true, UpdatedAt: later},
		},
		{
			name:  "nochange keeps the reason",
			marks: func(s *Store) error { return s.MarkNoChange(ctx, "d1", "replicas already 3") },
			want:  model.QueuedProposal{State: model.ProposalNoChange, Attempts: 1, NextAttempt: later, LastError: "replicas already 3", UpdatedAt: later},
		},
		{
			name:  "failed counts the attempt and moves the next one",
			marks: func(s *Store) error { return s.MarkFailed(ctx, "d1", "timeout", later.Add(2*time.Second)) },
			want:  model.QueuedProposal{State: model.ProposalPending, Attempts: 2, NextAttempt: later.Add(2 * time.Second), LastError: "timeout", UpdatedAt: later},
		},
		{
			name: "failed after delivery is refused and changes nothing",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", delivered))
				return s.MarkFailed(ctx, "d1", "timeout", later.Add(time.Hour))
			},
			wantErr: `mark proposal failed: no pending proposal "d1"`,
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", UpdatedAt: later},
		},
		{
			name: "nochange after delivery is refused",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", delivered))
				return s.MarkNoChange(ctx, "d1", "applied")
			},
			wantErr: `mark proposal unchanged: no pending proposal "d1"`,
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", UpdatedAt: later},
		},
		{
			name: "rejected after delivery keeps how",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", delivered))
				return s.MarkRejected(ctx, "d1", "sent back to Draft")
			},
			want: model.QueuedProposal{State: model.ProposalRejected, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", LastError: "sent back to Draft", UpdatedAt: later},
		},
		{
			name: "rejected after merge is refused",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", merged))
				return s.MarkRejected(ctx, "d1", "closed")
			},
			wantErr: `mark proposal rejected: no delivered proposal open "d1"`,
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", Merged: true, UpdatedAt: later},
		},
		{
			name:    "rejected while pending is refused",
			marks:   func(s *Store) error { return s.MarkRejected(ctx, "d1", "closed") },
			wantErr: `mark proposal rejected: no delivered proposal open "d1"`,
			want:    model.QueuedProposal{State: model.ProposalPending, Attempts: 1, NextAttempt: later, LastError: "refused", UpdatedAt: t0},
		},
		{
			name:  "refused keeps the reason and leaves the pending ones",
			marks: func(s *Store) error { return s.MarkRefused(ctx, "d1", "porch rendered it with an error") },
			want: model.QueuedProposal{State: model.ProposalRefused, Attempts: 1, NextAttempt: later,
				LastError: "porch rendered it with an error", UpdatedAt: later},
		},
		{
			name: "refused after delivery is refused",
			marks: func(s *Store) error {
				require.NoError(t, s.MarkDelivered(ctx, "d1", delivered))
				return s.MarkRefused(ctx, "d1", "x")
			},
			wantErr: `mark proposal refused: no pending proposal "d1"`,
			want: model.QueuedProposal{State: model.ProposalDelivered, Attempts: 1, NextAttempt: later,
				Ref: "proposed/upf-1/d1", Commit: "c0ffee", UpdatedAt: later},
		},
		{
			name:    "merged while pending is refused",
			marks:   func(s *Store) error { return s.MarkMerged(ctx, "d1") },
			wantErr: `mark proposal merged: no delivered proposal "d1"`,
			want:    model.QueuedProposal{State: model.ProposalPending, Attempts: 1, NextAttempt: later, LastError: "refused", UpdatedAt: t0},
		},
		{
			name:    "an unknown id is refused",
			marks:   func(s *Store) error { return s.MarkDelivered(ctx, "nope", delivered) },
			wantErr: `mark proposal delivered: no pending or delivered proposal "nope"`,
			want:    model.QueuedProposal{State: model.ProposalPending, Attempts: 1, NextAttempt: later, LastError: "refused", UpdatedAt: t0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var clock atomicTime
			clock.set(t0)
			s := openTest(t, t.TempDir(), Options{Now: clock.get})
			require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision("d1", "upf-1", "prb-high", "", t0)}))
			require.NoError(t, s.MarkFailed(ctx, "d1", "refused", later))
			clock.set(later)

			err := tc.marks(s)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			got := proposal(t, s, "d1")
			require.Equal(t, "d1", got.Decision.ID)
			require.Equal(t, t0, got.CreatedAt)
			tc.want.Decision, tc.want.CreatedAt = got.Decision, t0
			require.Equal(t, tc.want, got)
		})
	}
}

func TestOpenProposalsAndCounts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	for _, id := range []string{"pending", "failing", "delivered", "merged", "nochange", "rejected"} {
		require.NoError(t, s.AppendDecisions(ctx, []model.Decision{
			testDecision(id, "cnf-"+id, "prb-high", "", t0),
			testDecision(id+"-s", "cnf-"+id, "prb-high", model.ProposalOpen, t0),
		}))
	}
	require.NoError(t, s.MarkFailed(ctx, "failing", "timeout", t0.Add(time.Hour)))
	require.NoError(t, s.MarkDelivered(ctx, "delivered", propose.Proposal{ID: "delivered", Ref: "proposed/x/delivered"}))
	require.NoError(t, s.MarkDelivered(ctx, "merged", propose.Proposal{ID: "merged", Merged: true}))
	require.NoError(t, s.MarkNoChange(ctx, "nochange", "applied"))
	require.NoError(t, s.MarkDelivered(ctx, "rejected", propose.Proposal{ID: "rejected", Ref: "proposed/x/rejected"}))
	require.NoError(t, s.MarkRejected(ctx, "rejected", "closed by alice"))

	open, err := s.OpenProposals(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "failing", "delivered"}, proposalIDs(open), "pending, and delivered but not merged")
	require.Equal(t, "proposed/x/delivered", open[2].Ref)

	rejected, err := s.Rejections(ctx, t0)
	require.NoError(t, err)
	require.Len(t, rejected, 1)
	require.Equal(t, "rejected", rejected[0].ID)
	require.Equal(t, "cnf-rejected", rejected[0].CNF)
	require.Equal(t, "closed by alice", rejected[0].Detail)
	require.Equal(t, t0, rejected[0].At)
	rejected, err = s.Rejections(ctx, t0.Add(time.Microsecond))
	require.NoError(t, err)
	require.Empty(t, rejected, "only rejections since")

	n, err := s.ProposalCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "pending due or not")

	_, ok, err := s.Proposal(ctx, "pending-s")
	require.NoError(t, err)
	require.False(t, ok, "a suppression is not queued")

	require.NoError(t, s.Close())
	require.ErrorIs(t, s.MarkDelivered(ctx, "pending", propose.Proposal{}), ErrClosed)
	_, err = s.PendingProposals(ctx, t0, 0)
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.OpenProposals(ctx)
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.ProposalCounts(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestPruneKeepsPendingProposals(t *testing.T) {
	ctx := context.Background()
	var clock atomicTime
	old := t0.Add(-2 * time.Hour)
	clock.set(old)
	s := openTest(t, t.TempDir(), Options{Retention: time.Hour, Now: clock.get})
	s.pruneChunk = 1
	for _, id := range []string{"pending", "failing", "delivered", "nochange", "delivered-late"} {
		require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision(id, "cnf-"+id, "prb-high", "", old)}))
	}
	require.NoError(t, s.MarkFailed(ctx, "failing", "timeout", old.Add(time.Second)))
	require.NoError(t, s.MarkDelivered(ctx, "delivered", propose.Proposal{ID: "delivered"}))
	require.NoError(t, s.MarkNoChange(ctx, "nochange", "applied"))
	clock.set(t0.Add(-time.Minute)) // delivered after a long outage: kept a retention from then
	require.NoError(t, s.MarkDelivered(ctx, "delivered-late", propose.Proposal{ID: "delivered-late"}))
	clock.set(t0)

	n, err := s.Prune(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5+2), n, "the five old decisions and the two settled old proposals")
	require.Empty(t, allDecisions(t, s, DecisionQuery{}))
	open, err := s.OpenProposals(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "failing", "delivered-late"}, proposalIDs(open))
	pending, err := s.PendingProposals(ctx, t0, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "failing"}, proposalIDs(pending), "a pending proposal outlives its decision's row")
}

// v2Schema is migrations[1] as it was released, to create the databases
// TestMigrateV2 upgrades.
const v2Schema = `
CREATE TABLE decisions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	decision_id    TEXT    NOT NULL, -- model.Decision.ID (not unique: a decision may be recorded again)
	at             INTEGER NOT NULL, -- unix microseconds
	cnf            TEXT    NOT NULL,
	action         TEXT    NOT NULL,
	rule           TEXT    NOT NULL,
	reason         TEXT    NOT NULL,
	suppressed     TEXT    NOT NULL, -- '' for a decision
	detail         TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	approval       TEXT    NOT NULL,
	intent         TEXT              -- the CNFIntent as JSON; NULL for a suppression
);
CREATE INDEX decisions_at            ON decisions (at);
CREATE INDEX decisions_cnf_at        ON decisions (cnf, at);
CREATE INDEX decisions_rule_at       ON decisions (rule, at);
CREATE INDEX decisions_suppressed_at ON decisions (suppressed, at);

CREATE TABLE kpm_reports (
	id             INTEGER PRIMARY KEY,
	received_at    INTEGER NOT NULL, -- unix microseconds
	node_id        TEXT    NOT NULL,
	cell_id        TEXT    NOT NULL,
	collect_start  INTEGER NOT NULL, -- unix nanoseconds
	granularity_ms INTEGER NOT NULL, -- 0 when the report had none
	measurements   TEXT    NOT NULL  -- compact JSON: [{"name":"RRU.PrbUsedDl","value":42},...]
);
CREATE INDEX kpm_reports_received      ON kpm_reports (received_at);
CREATE INDEX kpm_reports_node_received ON kpm_reports (node_id, received_at);
`

// TestMigrateV2 upgrades a version 2 database holding a decision: the
// decision stays, is not queued (nothing before v3 delivered, and
// proposing old decisions on upgrade would be wrong), and new ones are.
func TestMigrateV2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	createV1(t, dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName)+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	_, err = db.Exec(v2Schema + "PRAGMA user_version = 2;")
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO decisions (decision_id, at, cnf, action, rule, reason, suppressed, detail, correlation_id, approval, intent)
	VALUES ('old', ?, 'upf-1', 'scale-out', 'prb-high', 'r', '', '', '', 'manual', '{}')`, t0.UnixMicro())
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s := openTest(t, dir, Options{})
	v, err := userVersion(ctx, s.w)
	require.NoError(t, err)
	require.Equal(t, schemaVersion, v)
	require.Equal(t, []string{"old"}, decisionIDs(allDecisions(t, s, DecisionQuery{})))
	require.Equal(t, 0, proposalRows(t, s), "decisions recorded before the queue are not queued")

	require.NoError(t, s.AppendDecisions(ctx, []model.Decision{testDecision("new", "upf-1", "prb-high", "", t0)}))
	pending, err := s.PendingProposals(ctx, t0, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"new"}, proposalIDs(pending))

	fresh := openTest(t, t.TempDir(), Options{})
	require.Equal(t, tables(t, fresh.w), tables(t, s.w), "a migrated database has the schema of a new one")
}
