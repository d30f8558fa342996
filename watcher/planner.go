package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/inventory"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/rules"
	"github.com/nephoran/nephoran/watcher/store"
)

// Bounds of the live decision loop.
const (
	// plannerTick moves the loop's clock when no event does: windows close
	// at most this late after their end plus the grace.
	plannerTick = time.Second
	// plannerQueue is how many accepted VES requests may wait for the loop;
	// beyond it the listener's 202 waits (backpressure, nothing dropped).
	plannerQueue = 4096
	// restoreEvents and restoreDecisions bound what a restart reads back.
	restoreEvents    = 100_000
	restoreDecisions = 100_000
	// restoreDecisionsFor is how far back recorded decisions restart
	// cooldowns and clear latches: longer than any sane cooldown.
	restoreDecisionsFor = 24 * time.Hour
	// redecideMargin: events received up to this long before the newest
	// recorded decision are decided on again after a restart.
	redecideMargin = 5 * time.Second
)

// planner runs the live decision loop: one goroutine owns the decide state
// and the engine; accepted VES events, rule reloads and a 1 s tick reach it
// through channels.
type planner struct {
	log    *slog.Logger
	now    func() time.Time
	engine *engine
	events chan []model.Event
	rules  chan []model.Rule
	// moved is signalled when KPM reports arrive: the clock may have
	// passed a window's end, so the loop ticks without waiting.
	moved chan struct{}
	// deployment, when set, is the Git repository or Porch: its inventory
	// and open proposals reach the loop through views; decisions are delivered by
	// its worker.
	deployment *deployment
	views      chan view
	// open are the CNFs with a proposal not merged yet: the last view's,
	// plus every CNF decided on since (queued in the same transaction as
	// its decision, so open from that moment).
	open map[string]nephv1.Action
	// rejected are the proposals reviewers turned down (the last view's).
	rejected []model.Rejection
	metrics  *plannerMetrics
	// reloadErr is the last rule reload's error, "" when it succeeded.
	reloadErr atomic.Pointer[string]
	done      sync.WaitGroup
}

// plannerOptions are what newPlanner needs from Run.
type plannerOptions struct {
	rulesDir string
	cnfs     []inventory.CNF
	windows  *kpm.Ingester
	store    *store.Store
	// deployment is the Git repository or Porch (nil: no delivery, the
	// inventory is cnfs).
	deployment *deployment
	metrics    *plannerMetrics
	log        *slog.Logger
	now        func() time.Time
}

// newPlanner loads the rules once (an invalid rule set at start is an error:
// there is no last good set to keep), rebuilds dedup, cooldown and clear
// state from the store, and returns a planner ready to run.
func newPlanner(ctx context.Context, o plannerOptions) (*planner, error) {
	rs, err := rules.Load(o.rulesDir, rules.Options{Observe: o.metrics.observeEvaluation})
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	// With pull requests, a decision of another action supersedes a CNF's
	// open proposal (the review stage closes the older pull request).
	state := decide.New(decide.Options{Supersede: o.deployment != nil && o.deployment.forge != nil})
	if err := state.SetRules(rs); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	o.metrics.rules(rs)
	open := map[string]nephv1.Action{}
	var rejected []model.Rejection
	if o.deployment == nil {
		deps := make([]*nephv1.CNFDeployment, len(o.cnfs))
		for i, c := range o.cnfs {
			deps[i] = c.CNFDeployment
		}
		state.SetInventory(deps)
	} else {
		v, err := o.deployment.read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.deployment.kind, err)
		}
		state.SetInventory(v.cnfs)
		state.SetProposals(v.open, v.rejected)
		for _, a := range v.approved {
			state.Approved(a.cnf, a.action, a.at)
		}
		open, rejected = v.open, v.rejected
	}

	now := o.now()
	evs, err := o.store.RecentEvents(ctx, now.Add(-decide.DefaultDedup), restoreEvents)
	if err != nil {
		return nil, fmt.Errorf("restore recent events: %w", err)
	}
	ds, err := o.store.RecentDecisions(ctx, now.Add(-restoreDecisionsFor), restoreDecisions)
	if err != nil {
		return nil, fmt.Errorf("restore recent decisions: %w", err)
	}
	// Events the loop had decided on before the restart rebuild dedup and
	// incidents; those after the newest recorded outcome (less a margin,
	// for requests accepted concurrently) may have been acknowledged but
	// not decided on when the process died: they are decided on again.
	// Deciding an event twice is harmless (the same decision id; the
	// restored cooldown suppresses it), missing it would lose a proposal.
	var mark time.Time
	for _, d := range ds {
		if d.At.After(mark) {
			mark = d.At
		}
	}
	redecide := 0
	for redecide < len(evs) && !evs[len(evs)-1-redecide].ReceivedAt.Before(mark.Add(-redecideMargin)) {
		redecide++
	}
	undecided := evs[len(evs)-redecide:]
	state.Restore(evs[:len(evs)-redecide], ds)

	p := &planner{
		log: o.log, now: o.now, metrics: o.metrics,
		events:     make(chan []model.Event, plannerQueue),
		rules:      make(chan []model.Rule, 1),
		moved:      make(chan struct{}, 1),
		views:      make(chan view, 1),
		deployment: o.deployment,
		open:       open,
		rejected:   rejected,
	}
	p.engine = &engine{
		grace:   DefaultWindowGrace,
		windows: o.windows,
		state:   state,
		record: func(ctx context.Context, ds []model.Decision) {
			p.metrics.count(ds)
			for _, d := range ds {
				if d.Suppressed == "" {
					p.log.Info("decision", "cnf", d.CNF, "action", d.Action, "rule", d.Rule, "id", d.ID, "reason", d.Reason)
				} else {
					p.log.Debug("suppressed", "cnf", d.CNF, "action", d.Action, "rule", d.Rule, "reason", d.Suppressed, "detail", d.Detail)
				}
			}
			if err := o.store.AppendDecisions(ctx, ds); err != nil {
				p.metrics.decisionErrs.Add(float64(len(ds)))
				p.log.Error("decisions not recorded", "count", len(ds), "error", err)
				return
			}
			// Recorded is queued (the same transaction): the CNF has an
			// open proposal from now on; deliver it now.
			if p.deployment != nil {
				for _, d := range ds {
					if a, ok := p.open[d.CNF]; d.Suppressed == "" && (!ok || a != d.Action) {
						p.open[d.CNF] = d.Action
						p.engine.state.SetProposals(p.open, p.rejected)
					}
				}
				p.deployment.worker.Kick()
			}
		},
		observeWindow: func(w model.Window, now time.Time) {
			p.metrics.staleness.Set(now.Sub(w.Newest).Seconds())
		},
		ruleError: func(err decide.RuleError) {
			p.log.Warn("rule evaluation failed; skipped", "error", err)
		},
	}
	for _, e := range undecided {
		p.engine.events(ctx, []model.Event{e}, e.ReceivedAt)
	}
	p.log.Info("rules loaded", "dir", o.rulesDir, "rules", len(rs), "restoredEvents", len(evs)-len(undecided),
		"redecidedEvents", len(undecided), "restoredDecisions", len(ds))
	return p, nil
}

// observe hands accepted events to the loop; it waits while the queue is
// full (the listener's 202 waits with it) and gives up when ctx ends.
func (p *planner) observe(ctx context.Context, evs []model.Event) error {
	select {
	case p.events <- evs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reports is the KPM ingester's hook: a report moves the clock, so windows
// may close now rather than at the next tick. It never blocks.
func (p *planner) reports([]model.KPMReport) {
	select {
	case p.moved <- struct{}{}:
	default:
	}
}

// start runs the loop and the rule directory's hot reload until ctx is
// done; wait returns once both have stopped.
func (p *planner) start(ctx context.Context, rulesDir string) {
	if d := p.deployment; d != nil {
		p.done.Add(2)
		go func() {
			defer p.done.Done()
			_ = d.worker.Run(ctx)
		}()
		go func() {
			defer p.done.Done()
			p.refresh(ctx, d)
		}()
	}
	p.done.Add(2)
	go func() {
		defer p.done.Done()
		_ = rules.Watch(ctx, rulesDir, rules.WatchOptions{
			Options:  rules.Options{Observe: p.metrics.observeEvaluation},
			OnChange: p.reloaded,
			OnError:  p.reloadFailed,
		})
	}()
	go func() {
		defer p.done.Done()
		p.loop(ctx)
	}()
}

func (p *planner) wait() { p.done.Wait() }

// refresh reads the deployment repository every interval: a person's
// change in Git (replicas edited, a package added or removed, a proposal
// merged) is what the loop uses next; a forge webhook asks for a read at once.
func (p *planner) refresh(ctx context.Context, d *deployment) {
	t := time.NewTicker(d.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.now:
		}
		v, err := d.read(ctx)
		if err != nil {
			p.log.Warn("deployment repository not read; the last view stays", "error", err)
			continue
		}
		select { // replace a view the loop has not taken yet
		case <-p.views:
		default:
		}
		p.views <- v
	}
}

func (p *planner) reloaded(rs []model.Rule) {
	select {
	case p.rules <- rs:
	default: // the loop has not taken the previous set yet: replace it
		select {
		case <-p.rules:
		default:
		}
		p.rules <- rs
	}
}

func (p *planner) reloadFailed(err error) {
	msg := err.Error()
	p.reloadErr.Store(&msg)
	p.metrics.reloads.WithLabelValues("error").Inc()
	p.metrics.reloadFailed.Set(1)
	p.log.Error("rules not reloaded; the last good rule set keeps running", "error", err)
}

// loop owns the decide state: nothing else touches it.
func (p *planner) loop(ctx context.Context) {
	t := time.NewTicker(plannerTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := p.now()
			p.engine.tick(ctx, now)
			p.exportCooling(now)
		case <-p.moved:
			p.engine.tick(ctx, p.now())
		case v := <-p.views:
			p.open, p.rejected = v.open, v.rejected
			p.engine.state.SetInventory(v.cnfs)
			p.engine.state.SetProposals(v.open, v.rejected)
			for _, a := range v.approved {
				p.engine.state.Approved(a.cnf, a.action, a.at)
			}
		case evs := <-p.events:
			p.engine.events(ctx, evs, p.now())
		case rs := <-p.rules:
			// Watch's first load is usually the set newPlanner loaded;
			// setting it again keeps every counter and latch.
			if err := p.engine.state.SetRules(rs); err != nil {
				p.reloadFailed(err)
				continue
			}
			p.reloadErr.Store(nil)
			p.metrics.reloads.WithLabelValues("ok").Inc()
			p.metrics.reloadFailed.Set(0)
			p.metrics.rules(rs)
			p.log.Info("rules reloaded", "rules", len(rs))
		}
	}
}

func (p *planner) exportCooling(now time.Time) {
	for cnf, cooling := range p.engine.state.Cooling(now) {
		v := 0.0
		if cooling {
			v = 1
		}
		p.metrics.cooldown.WithLabelValues(cnf).Set(v)
	}
}

// status is the /readyz detail of the rule set: nil when the last reload
// succeeded.
func (p *planner) status() error {
	if msg := p.reloadErr.Load(); msg != nil {
		return errors.New("rules: the last reload failed, the previous rule set keeps running: " + *msg)
	}
	return nil
}
