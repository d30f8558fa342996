package deliver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
)

// Defaults of Options.
const (
	DefaultPoll        = time.Second
	DefaultConcurrency = 4
)

// batchSize is how many due proposals one round takes from the queue.
const batchSize = 256

// markTimeout bounds recording an outcome the Proposer already returned;
// it is recorded even when Run's ctx ended meanwhile.
const markTimeout = 10 * time.Second

// Queue is the proposal queue the worker drains: the store's methods it
// uses (*store.Store implements it).
type Queue interface {
	// PendingProposals returns up to limit due proposals, oldest first,
	// none of a CNF behind an earlier one of the same CNF that is not due.
	PendingProposals(ctx context.Context, now time.Time, limit int) ([]model.QueuedProposal, error)
	MarkDelivered(ctx context.Context, id string, p propose.Proposal) error
	MarkNoChange(ctx context.Context, id, reason string) error
	MarkRefused(ctx context.Context, id, reason string) error
	MarkFailed(ctx context.Context, id, err string, nextAttempt time.Time) error
	ProposalCounts(ctx context.Context) (pending int, err error)
}

// Options configure a Worker. Proposer and Queue are required.
type Options struct {
	Proposer propose.Proposer
	Queue    Queue
	// Now is the clock of retries and of the delivery latency (time.Now
	// when nil).
	Now func() time.Time
	// Logger receives one line per outcome (discarded when nil). No
	// intent, evidence or credential is logged.
	Logger *slog.Logger
	// Registerer gets the metrics (see metrics.go); nil registers none.
	Registerer prometheus.Registerer
	// Backoff spaces the retries of a failed delivery.
	Backoff Backoff
	// Poll is how often Run looks for due proposals without a Kick
	// (DefaultPoll when zero): it picks up retries as they fall due.
	Poll time.Duration
	// Concurrency is how many CNFs are delivered at once
	// (DefaultConcurrency when zero); a CNF's own proposals go one at a
	// time.
	Concurrency int
	// OnDelivered, when set, sees each proposal once it is recorded as
	// delivered (Existed set when the Proposer found it already there). It
	// is called from the worker's goroutines, possibly concurrently, and
	// must not block for long.
	OnDelivered func(propose.Proposal)
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	return o
}

// Worker delivers queued proposals (see the package doc).
type Worker struct {
	opts    Options
	metrics *metrics
	kick    chan struct{}
}

// New returns a worker; Run starts it. It registers the metrics on
// opts.Registerer.
func New(opts Options) *Worker {
	opts = opts.withDefaults()
	return &Worker{
		opts:    opts,
		metrics: newMetrics(opts.Registerer),
		kick:    make(chan struct{}, 1),
	}
}

// Kick wakes Run to deliver what is due now instead of at the next poll.
// It never blocks; kicks while Run is busy fold into one more round.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers due proposals until ctx ends, then returns nil once the
// deliveries in flight have stopped (a Propose cut short by ctx leaves its
// proposal pending, without counting an attempt). Queue errors are logged
// and retried at the next poll; it returns an error only when Options
// lack the Proposer or the Queue.
func (w *Worker) Run(ctx context.Context) error {
	if w.opts.Proposer == nil || w.opts.Queue == nil {
		return errors.New("deliver: Options.Proposer and Options.Queue are required")
	}
	w.updatePending(ctx)
	poll := time.NewTimer(w.opts.Poll)
	defer poll.Stop()
	for {
		more := w.round(ctx)
		w.updatePending(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if more {
			continue
		}
		poll.Reset(w.opts.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-poll.C:
		}
	}
}

// round delivers the proposals due now: a CNF's in order on one goroutine,
// up to Concurrency CNFs at once. It returns whether more may be due at
// once (a full batch that made progress).
func (w *Worker) round(ctx context.Context) (more bool) {
	due, err := w.opts.Queue.PendingProposals(ctx, w.opts.Now(), batchSize)
	if err != nil {
		if ctx.Err() == nil {
			w.opts.Logger.Error("read the proposal queue; retrying at the next poll", "error", err)
		}
		return false
	}
	var cnfs []string
	byCNF := map[string][]model.QueuedProposal{}
	for _, q := range due {
		cnf := q.Decision.CNF
		if _, ok := byCNF[cnf]; !ok {
			cnfs = append(cnfs, cnf)
		}
		byCNF[cnf] = append(byCNF[cnf], q)
	}
	var settled atomic.Int64
	var wg sync.WaitGroup
	slots := make(chan struct{}, w.opts.Concurrency)
start:
	for _, cnf := range cnfs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break start
		}
		wg.Go(func() {
			defer func() { <-slots }()
			for _, q := range byCNF[cnf] {
				if !w.deliver(ctx, q) {
					return // the rest wait behind it (see PendingProposals)
				}
				settled.Add(1)
			}
		})
	}
	wg.Wait()
	return len(due) == batchSize && settled.Load() > 0
}

// deliver proposes q once and records the outcome. It returns whether q
// is settled (delivered or unchanged).
func (w *Worker) deliver(ctx context.Context, q model.QueuedProposal) bool {
	d := q.Decision
	log := w.opts.Logger.With("id", d.ID, "cnf", d.CNF, "action", d.Action)
	p, err := w.opts.Proposer.Propose(ctx, d)
	if err != nil && ctx.Err() != nil {
		return false // stopping: not the backend's failure, q stays as it was
	}
	// The Proposer has answered: record it even if ctx ends meanwhile, so a
	// restart does not ask again.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	switch {
	case err == nil:
		if p.ID == "" {
			p.ID = d.ID
		}
		if err := w.opts.Queue.MarkDelivered(mctx, d.ID, p); err != nil {
			log.Error("proposal delivered but not recorded; it is proposed again (and found) later", "ref", p.Ref, "error", err)
			return false
		}
		result := resultDelivered
		if p.Existed {
			result = resultExisted
		} else {
			w.metrics.latency.Observe(max(w.opts.Now().Sub(d.At), 0).Seconds())
		}
		w.metrics.delivered.WithLabelValues(result).Inc()
		log.Info("proposal delivered", "result", result, "ref", p.Ref, "commit", p.Commit, "merged", p.Merged, "failedAttempts", q.Attempts)
		if w.opts.OnDelivered != nil {
			w.opts.OnDelivered(p)
		}
		return true
	case errors.Is(err, propose.ErrNoChange):
		reason := redact(err.Error())
		if err := w.opts.Queue.MarkNoChange(mctx, d.ID, reason); err != nil {
			log.Error("proposal changes nothing but that was not recorded; it is proposed again later", "reason", reason, "error", err)
			return false
		}
		w.metrics.delivered.WithLabelValues(resultNoChange).Inc()
		log.Info("proposal changes nothing; not retried", "reason", reason)
		return true
	case errors.Is(err, propose.ErrRefused):
		reason := redact(err.Error())
		if err := w.opts.Queue.MarkRefused(mctx, d.ID, reason); err != nil {
			log.Error("proposal refused but that was not recorded; it is proposed again later", "reason", reason, "error", err)
			return false
		}
		w.metrics.delivered.WithLabelValues(resultRefused).Inc()
		log.Error("proposal refused by the deployment; not retried", "reason", reason)
		return true
	default:
		w.metrics.errors.Inc()
		delay := w.opts.Backoff.Delay(q.Attempts)
		msg := redact(err.Error())
		if err := w.opts.Queue.MarkFailed(mctx, d.ID, msg, w.opts.Now().Add(delay)); err != nil {
			log.Error("record a failed delivery", "error", err)
		}
		log.Warn("proposal not delivered; retrying", "attempt", q.Attempts+1, "retryIn", delay, "error", msg)
		return false
	}
}

// updatePending sets planner_proposals_pending from the queue, also after
// ctx ended (the last round's outcome counts).
func (w *Worker) updatePending(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	n, err := w.opts.Queue.ProposalCounts(cctx)
	if err != nil {
		if ctx.Err() == nil {
			w.opts.Logger.Error("count pending proposals", "error", err)
		}
		return
	}
	w.metrics.pending.Set(float64(n))
}
