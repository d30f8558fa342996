package deliver_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/deliver"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
	"github.com/nephoran/nephoran/watcher/store"
)

// t0 is the fake clock's start, on a whole microsecond as the store keeps
// times.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake clock the tests move while the worker and the store read
// it.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *clock) now() time.Time               { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration)          { c.ns.Add(int64(d)) }
func (c *clock) at(d time.Duration) time.Time { return t0.Add(d) }

// branches is an in-process Proposer that behaves as the git backend's
// contract says: one branch per proposal id, a second Propose of the same
// decision returns the first branch with Existed set, ErrNoChange for the
// intents it is told are applied, and transient failures on demand. It
// records every call.
type branches struct {
	now func() time.Time

	mu       sync.Mutex
	refs     map[string]propose.Proposal // the branches, by proposal id
	calls    map[string]int              // Propose calls by decision id
	order    []string                    // decision ids in call order
	fail     int                         // the next fail calls fail transiently
	failIDs  map[string]int              // the next n calls for a decision id fail
	noChange map[string]string           // decision id -> why it changes nothing
	refused  map[string]string           // decision id -> why the backend refuses it
	block    bool                        // Propose waits for its ctx to end

	// gate > 0 holds each call until gate calls are in flight at once
	// (then lets every call through), to show CNFs go concurrently.
	gate        int
	gateOpen    chan struct{}
	inflight    int
	perCNF      map[string]int
	maxInflight int
	maxPerCNF   int
}

var _ propose.Proposer = (*branches)(nil)

func newBranches(now func() time.Time) *branches {
	return &branches{
		now: now, refs: map[string]propose.Proposal{}, calls: map[string]int{},
		failIDs: map[string]int{}, noChange: map[string]string{}, refused: map[string]string{}, perCNF: map[string]int{},
		gateOpen: make(chan struct{}),
	}
}

// errUnreachable is the transient failure; its URL carries a credential
// the worker must not log or store.
var errUnreachable = errors.New("push https://bot:s3cret@git.example.com/deploy.git: connection refused")

func (b *branches) Propose(ctx context.Context, d model.Decision) (propose.Proposal, error) {
	b.mu.Lock()
	b.calls[d.ID]++
	b.order = append(b.order, d.ID)
	b.inflight++
	b.perCNF[d.CNF]++
	b.maxInflight = max(b.maxInflight, b.inflight)
	b.maxPerCNF = max(b.maxPerCNF, b.perCNF[d.CNF])
	if b.gate > 0 && b.inflight >= b.gate {
		b.gate = 0
		close(b.gateOpen)
	}
	gated, block := b.gate > 0, b.block
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.inflight--
		b.perCNF[d.CNF]--
		b.mu.Unlock()
	}()

	if gated {
		select {
		case <-b.gateOpen:
		case <-ctx.Done():
			return propose.Proposal{}, ctx.Err()
		case <-time.After(10 * time.Second):
			return propose.Proposal{}, errors.New("gate: not enough concurrent calls")
		}
	}
	if block {
		<-ctx.Done()
		return propose.Proposal{}, fmt.Errorf("push: %w", ctx.Err())
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if d.Intent == nil {
		return propose.Proposal{}, fmt.Errorf("decision %s has no intent", d.ID)
	}
	if b.fail > 0 {
		b.fail--
		return propose.Proposal{}, errUnreachable
	}
	if b.failIDs[d.ID] > 0 {
		b.failIDs[d.ID]--
		return propose.Proposal{}, errUnreachable
	}
	if why, ok := b.noChange[d.ID]; ok {
		return propose.Proposal{}, fmt.Errorf("%s: %w", why, propose.ErrNoChange)
	}
	if why, ok := b.refused[d.ID]; ok {
		return propose.Proposal{}, fmt.Errorf("%s: %w", why, propose.ErrRefused)
	}
	if p, ok := b.refs[d.ID]; ok {
		p.Existed = true
		return p, nil
	}
	sum := sha1.Sum([]byte(d.ID))
	p := propose.Proposal{
		ID: d.ID, CNF: d.CNF, Action: d.Action,
		Ref:    "proposed/" + d.CNF + "/" + d.ID,
		Commit: hex.EncodeToString(sum[:]),
		Merged: d.Approval == nephv1.ApprovalAuto,
		At:     b.now(),
	}
	b.refs[d.ID] = p
	return p, nil
}

func (b *branches) State(context.Context) (propose.State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var st propose.State
	for _, p := range b.refs {
		if !p.Merged {
			st.Open = append(st.Open, p)
		}
	}
	return st, nil
}

func (b *branches) callsOf(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[id]
}

func (b *branches) branchCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.refs)
}

// callOrder is the decision ids proposed for cnf, in call order.
func (b *branches) callOrder(cnf string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, id := range b.order {
		if strings.HasPrefix(id, cnf+"-") {
			ids = append(ids, id)
		}
	}
	return ids
}

// decision is a scale-out decision for cnf at t0; ids are "<cnf>-<n>".
func decision(id, cnf string, suppressed model.Suppression) model.Decision {
	d := model.Decision{
		ID: id, At: t0, CNF: cnf, Action: nephv1.ActionScaleOut, Rule: "prb-high",
		Reason: "PRB utilization 0.93 > 0.85 for 60s", Suppressed: suppressed, Approval: nephv1.ApprovalManual,
	}
	if suppressed == "" {
		d.Intent = &nephv1.CNFIntent{
			TypeMeta:   metav1.TypeMeta{APIVersion: "nephoran.com/v1", Kind: "CNFIntent"},
			ObjectMeta: metav1.ObjectMeta{Name: id},
			Spec:       nephv1.CNFIntentSpec{Target: cnf, Action: nephv1.ActionScaleOut, Reason: d.Reason, Source: d.Rule},
		}
	}
	return d
}

func openStore(t *testing.T, dir string, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dir, store.Options{Now: c.now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func record(t *testing.T, s *store.Store, ds ...model.Decision) {
	t.Helper()
	require.NoError(t, s.AppendDecisions(context.Background(), ds))
}

// logBuffer collects the worker's log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is a Worker started by start.
type running struct {
	*deliver.Worker
	reg  *prometheus.Registry
	logs *logBuffer
	stop func() error // cancels Run and returns its result
}

// start runs a worker on s and git with opts (Proposer, Queue, Now,
// Registerer and Logger filled in; Poll 5 ms and no jitter unless set).
func start(t *testing.T, s *store.Store, git *branches, c *clock, opts deliver.Options) *running {
	t.Helper()
	r := &running{reg: prometheus.NewRegistry(), logs: &logBuffer{}}
	opts.Proposer, opts.Queue, opts.Now, opts.Registerer = git, s, c.now, r.reg
	opts.Logger = slog.New(slog.NewTextHandler(r.logs, nil))
	if opts.Poll == 0 {
		opts.Poll = 5 * time.Millisecond
	}
	if opts.Backoff.Jitter == nil {
		opts.Backoff.Jitter = func() float64 { return 0 }
	}
	r.Worker = deliver.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("Run did not return after its ctx ended")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// metric is the value of the sample of name with labels (pairs), a
// histogram's count.
func (r *running) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	sample:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue sample
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

func queued(t *testing.T, s *store.Store, id string) model.QueuedProposal {
	t.Helper()
	q, ok, err := s.Proposal(context.Background(), id)
	require.NoError(t, err)
	require.True(t, ok, "%s not queued", id)
	return q
}

func pending(t *testing.T, s *store.Store) int {
	t.Helper()
	n, err := s.ProposalCounts(context.Background())
	require.NoError(t, err)
	return n
}

const waitFor, tick = 10 * time.Second, time.Millisecond

func TestDeliversEveryDecisionOnce(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	var want []string
	for n := range 4 {
		for _, cnf := range []string{"upf", "amf", "smf", "du", "cu"} {
			id := fmt.Sprintf("%s-%d", cnf, n)
			want = append(want, id)
			record(t, s, decision(id, cnf, ""), decision(id+"-s", cnf, model.CooldownActive))
		}
	}
	record(t, s, decision("upf-0", "upf", "")) // recorded twice, queued once

	var mu sync.Mutex
	seen := map[string]int{}
	w := start(t, s, git, c, deliver.Options{OnDelivered: func(p propose.Proposal) {
		mu.Lock()
		seen[p.ID]++
		mu.Unlock()
	}})
	require.Eventually(t, func() bool { return pending(t, s) == 0 }, waitFor, tick)
	require.NoError(t, w.stop())

	require.Equal(t, len(want), git.branchCount())
	for _, id := range want {
		require.Equal(t, 1, git.callsOf(id), "%s proposed once", id)
		require.Equal(t, 1, seen[id], "%s reported once", id)
		q := queued(t, s, id)
		require.Equal(t, model.ProposalDelivered, q.State)
		require.Equal(t, "proposed/"+q.Decision.CNF+"/"+id, q.Ref)
		require.NotEmpty(t, q.Commit)
		require.Zero(t, git.callsOf(id+"-s"), "a suppression is never proposed")
	}
	for _, cnf := range []string{"upf", "amf", "smf", "du", "cu"} {
		require.Equal(t, []string{cnf + "-0", cnf + "-1", cnf + "-2", cnf + "-3"}, git.callOrder(cnf), "a CNF's proposals in decision order")
	}
	require.Equal(t, float64(len(want)), w.metric(t, "planner_proposals_delivered_total", "result", "delivered"))
	require.Zero(t, w.metric(t, "planner_proposals_delivered_total", "result", "existed"))
	require.Zero(t, w.metric(t, "planner_proposal_delivery_errors_total"))
	require.Zero(t, w.metric(t, "planner_proposals_pending"))
	require.Equal(t, float64(len(want)), w.metric(t, "planner_proposal_delivery_seconds"))
}

func TestRetriesTransientFailuresWithBackoff(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	git.fail = 2
	record(t, s, decision("upf-1", "upf", ""))
	w := start(t, s, git, c, deliver.Options{})

	// t=0 fails: the next attempt is due 1 s later, and not before.
	require.Eventually(t, func() bool { return queued(t, s, "upf-1").Attempts == 1 }, waitFor, tick)
	q := queued(t, s, "upf-1")
	require.Equal(t, model.ProposalPending, q.State)
	require.Equal(t, c.at(time.Second), q.NextAttempt)
	require.Equal(t, "push https://xxxxx@git.example.com/deploy.git: connection refused", q.LastError, "the credential is masked")
	require.Equal(t, 1, git.callsOf("upf-1"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_pending"))

	// t=1s fails again: the delay doubles.
	c.add(time.Second)
	require.Eventually(t, func() bool { return queued(t, s, "upf-1").Attempts == 2 }, waitFor, tick)
	require.Equal(t, c.at(time.Second+2*time.Second), queued(t, s, "upf-1").NextAttempt)
	require.Equal(t, 2, git.callsOf("upf-1"))

	// t=3s delivers.
	c.add(2 * time.Second)
	require.Eventually(t, func() bool { return queued(t, s, "upf-1").State == model.ProposalDelivered }, waitFor, tick)
	require.NoError(t, w.stop())
	require.Equal(t, 3, git.callsOf("upf-1"))
	require.Equal(t, float64(2), w.metric(t, "planner_proposal_delivery_errors_total"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_delivered_total", "result", "delivered"))
	require.Zero(t, w.metric(t, "planner_proposals_pending"))
	require.Empty(t, queued(t, s, "upf-1").LastError)
	require.Contains(t, w.logs.String(), "proposal not delivered; retrying")
	require.NotContains(t, w.logs.String(), "s3cret", "no credential in the logs")
}

// TestHoldsBackACNFBehindARetry: while a CNF's proposal waits for its
// retry, its later proposals wait too; other CNFs go on.
func TestHoldsBackACNFBehindARetry(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	git.failIDs["x-1"] = 1
	record(t, s, decision("x-1", "x", ""))
	record(t, s, decision("x-2", "x", ""))
	record(t, s, decision("y-1", "y", ""))
	w := start(t, s, git, c, deliver.Options{})

	require.Eventually(t, func() bool {
		return queued(t, s, "x-1").Attempts == 1 && queued(t, s, "y-1").State == model.ProposalDelivered
	}, waitFor, tick)
	require.Zero(t, git.callsOf("x-2"), "x-2 waits behind x-1")

	c.add(time.Second)
	require.Eventually(t, func() bool { return pending(t, s) == 0 }, waitFor, tick)
	require.NoError(t, w.stop())
	require.Equal(t, []string{"x-1", "x-1", "x-2"}, git.callOrder("x"))
}

func TestNoChangeIsNotRetried(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	git.noChange["upf-1"] = "replicas already 3 at head 1a2b3c"
	record(t, s, decision("upf-1", "upf", ""))
	w := start(t, s, git, c, deliver.Options{})

	require.Eventually(t, func() bool { return queued(t, s, "upf-1").State == model.ProposalNoChange }, waitFor, tick)
	require.Equal(t, "replicas already 3 at head 1a2b3c: the intent changes nothing", queued(t, s, "upf-1").LastError)

	// An hour later a new decision of the same CNF goes through; the
	// unchanged one is not proposed again.
	c.add(time.Hour)
	record(t, s, decision("upf-2", "upf", ""))
	w.Kick()
	require.Eventually(t, func() bool { return queued(t, s, "upf-2").State == model.ProposalDelivered }, waitFor, tick)
	require.NoError(t, w.stop())
	require.Equal(t, 1, git.callsOf("upf-1"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_delivered_total", "result", "nochange"))
	require.Zero(t, w.metric(t, "planner_proposal_delivery_errors_total"))
}

func TestRefusedIsRecordedAndNotRetried(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	git.refused["upf-1"] = "porch rendered it with an error: render-cnf: spec.image: required"
	record(t, s, decision("upf-1", "upf", ""))
	w := start(t, s, git, c, deliver.Options{})

	require.Eventually(t, func() bool { return queued(t, s, "upf-1").State == model.ProposalRefused }, waitFor, tick)
	require.Contains(t, queued(t, s, "upf-1").LastError, "spec.image: required")

	// The CNF is not blocked behind it: its next decision goes through,
	// and the refused one is not asked again.
	c.add(time.Hour)
	record(t, s, decision("upf-2", "upf", ""))
	w.Kick()
	require.Eventually(t, func() bool { return queued(t, s, "upf-2").State == model.ProposalDelivered }, waitFor, tick)
	require.NoError(t, w.stop())
	require.Equal(t, 1, git.callsOf("upf-1"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_delivered_total", "result", "refused"))
	require.Zero(t, w.metric(t, "planner_proposal_delivery_errors_total"))
	require.Zero(t, pending(t, s))
}

func TestKickDeliversWithoutWaitingForThePoll(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	git := newBranches(c.now)
	record(t, s, decision("upf-1", "upf", ""))
	w := start(t, s, git, c, deliver.Options{Poll: time.Hour})
	require.Eventually(t, func() bool { return git.callsOf("upf-1") == 1 }, waitFor, tick, "Run delivers at start")

	// The first round is over (it had read the queue before upf-2 was
	// recorded): only the kick, not the hourly poll, can deliver upf-2.
	record(t, s, decision("upf-2", "upf", ""))
	w.Kick()
	require.Eventually(t, func() bool { return queued(t, s, "upf-2").State == model.ProposalDelivered }, waitFor, tick)
}

// TestRestartDeliversWhatWasPending restarts the worker and the store on
// the same directory: what was delivered is not proposed again, what was
// pending is delivered, and a proposal pushed just before a crash (not
// recorded as delivered) is found, not made twice.
func TestRestartDeliversWhatWasPending(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	git := newBranches(c.now) // the Git server outlives the watcher
	s := openStore(t, dir, c)
	record(t, s, decision("upf-1", "upf", ""), decision("amf-1", "amf", ""))
	w := start(t, s, git, c, deliver.Options{})
	require.Eventually(t, func() bool { return pending(t, s) == 0 }, waitFor, tick)
	require.NoError(t, w.stop())

	// Stopped: one decision is pushed but the crash comes before
	// MarkDelivered; another is only recorded.
	record(t, s, decision("upf-2", "upf", ""), decision("smf-1", "smf", ""))
	_, err := git.Propose(context.Background(), queued(t, s, "upf-2").Decision)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openStore(t, dir, c)
	require.Equal(t, 2, pending(t, s))
	w = start(t, s, git, c, deliver.Options{})
	require.Eventually(t, func() bool { return pending(t, s) == 0 }, waitFor, tick)
	require.NoError(t, w.stop())

	require.Equal(t, 4, git.branchCount(), "one branch per decision")
	for id, calls := range map[string]int{"upf-1": 1, "amf-1": 1, "upf-2": 2, "smf-1": 1} {
		require.Equal(t, calls, git.callsOf(id), id)
		require.Equal(t, model.ProposalDelivered, queued(t, s, id).State, id)
	}
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_delivered_total", "result", "delivered"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposals_delivered_total", "result", "existed"))
	require.Equal(t, float64(1), w.metric(t, "planner_proposal_delivery_seconds"), "an existing proposal has no delivery latency")
}

func TestDeliversCNFsConcurrently(t *testing.T) {
	tests := []struct {
		name              string
		cnfs, concurrency int
	}{
		{"as many CNFs as slots all go at once", 3, 3},
		{"more CNFs than slots are bounded by Concurrency", 5, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			s := openStore(t, t.TempDir(), c)
			git := newBranches(c.now)
			git.gate = tc.concurrency // every call waits until this many are in flight
			var cnfs []string
			for i := range tc.cnfs {
				cnfs = append(cnfs, fmt.Sprintf("cnf%d", i))
			}
			for n := range 3 {
				for _, cnf := range cnfs {
					record(t, s, decision(fmt.Sprintf("%s-%d", cnf, n), cnf, ""))
				}
			}
			w := start(t, s, git, c, deliver.Options{Concurrency: tc.concurrency})
			require.Eventually(t, func() bool { return pending(t, s) == 0 }, waitFor, tick)
			require.NoError(t, w.stop())

			git.mu.Lock()
			defer git.mu.Unlock()
			require.Equal(t, tc.concurrency, git.maxInflight)
			require.Equal(t, 1, git.maxPerCNF, "one proposal of a CNF at a time")
			require.Len(t, git.refs, 3*tc.cnfs)
			for id, n := range git.calls {
				require.Equal(t, 1, n, id)
			}
		})
	}
}

func TestCancelStopsRun(t *testing.T) {
	c := newClock()
	s := openStore(t, t.TempDir(), c)
	t.Run("idle", func(t *testing.T) {
		w := start(t, s, newBranches(c.now), c, deliver.Options{Poll: time.Hour})
		require.NoError(t, w.stop())
	})
	t.Run("during a Propose, which is not counted as a failure", func(t *testing.T) {
		git := newBranches(c.now)
		git.block = true
		record(t, s, decision("upf-1", "upf", ""))
		w := start(t, s, git, c, deliver.Options{})
		require.Eventually(t, func() bool { return git.callsOf("upf-1") == 1 }, waitFor, tick)
		require.NoError(t, w.stop())
		q := queued(t, s, "upf-1")
		require.Equal(t, model.ProposalPending, q.State)
		require.Zero(t, q.Attempts)
		require.Zero(t, w.metric(t, "planner_proposal_delivery_errors_total"))
	})
}

func TestRunRequiresProposerAndQueue(t *testing.T) {
	err := deliver.New(deliver.Options{}).Run(context.Background())
	require.EqualError(t, err, "deliver: Options.Proposer and Options.Queue are required")
}
