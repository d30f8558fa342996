package ric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/nephoran/nephoran/watcher/inventory"
)

// Options tune the retry and polling behaviour of Reconciler and Poller.
// The zero value is usable.
type Options struct {
	// Interval between passes while healthy; default 30s (Reconciler) or
	// 10s (Poller).
	Interval time.Duration
	// Backoff between attempts of one call and between failed passes.
	Backoff Backoff
	// Attempts per call before a pass gives up; default 4.
	Attempts int
	// Sleep waits between attempts and passes; default Sleep.
	Sleep SleepFunc
	// Now is the clock for Health; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults(interval time.Duration) Options {
	if o.Interval <= 0 {
		o.Interval = interval
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.Attempts < 1 {
		o.Attempts = 4
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func (o Options) retrier() retrier {
	return retrier{backoff: o.Backoff, attempts: o.Attempts, sleep: o.Sleep}
}

// Subscription is the subscription the Reconciler holds for one CNF.
type Subscription struct {
	CNF                 string // <namespace>/<name>
	NodeID              string // spec.kpm.nodeId, the Meid
	ID                  string // the subscription manager's SubscriptionId
	XappEventInstanceID int
	fingerprint         string // the params without the instance id
}

// Reconciler keeps exactly one KPM subscription per inventory CNF that has
// spec.kpm.nodeId: it creates the missing ones, deletes those of CNFs that
// left the inventory, and replaces one whose node, cells or period changed.
// It tracks subscriptions by the SubscriptionId the manager returned.
type Reconciler struct {
	client *SubscriptionClient
	build  KPMSubscription
	opts   Options

	pass   sync.Mutex // one pass at a time
	mu     sync.Mutex // guards subs and next
	subs   map[string]Subscription
	next   int // next XappEventInstanceId to hand out
	health healthState
}

// NewReconciler returns a Reconciler that subscribes through client with
// subscriptions built by build.
func NewReconciler(client *SubscriptionClient, build KPMSubscription, opts Options) *Reconciler {
	return &Reconciler{
		client: client,
		build:  build,
		opts:   opts.withDefaults(30 * time.Second),
		subs:   map[string]Subscription{},
		next:   1,
	}
}

// Run reconciles cnfs() every Interval, and after a failed pass again after
// a backoff delay, until ctx is done. It returns ctx's error.
func (r *Reconciler) Run(ctx context.Context, cnfs func() []inventory.CNF) error {
	return loop(ctx, r.opts.Interval, r.opts.Backoff, r.opts.Sleep, func(ctx context.Context) error {
		return r.Reconcile(ctx, cnfs())
	})
}

// Reconcile makes one pass: it lists the manager's subscriptions (which
// also proves the manager is reachable), forgets held subscriptions whose
// Meid the manager no longer lists, deletes those of CNFs that left or
// changed, and creates the missing ones. Each call is retried with backoff;
// a call that still fails for a transient reason ends the pass, one refused
// for a CNF (4xx, bad spec) is reported and the pass goes on.
func (r *Reconciler) Reconcile(ctx context.Context, cnfs []inventory.CNF) error {
	r.pass.Lock()
	defer r.pass.Unlock()
	err := r.reconcile(ctx, cnfs)
	r.mu.Lock()
	n := len(r.subs)
	r.mu.Unlock()
	r.health.record(r.opts.Now(), n, err)
	return err
}

type desired struct {
	key    string
	nodeID string
	params SubscriptionParams
	fp     string
}

func (r *Reconciler) reconcile(ctx context.Context, cnfs []inventory.CNF) error {
	retry := r.opts.retrier()
	var errs []error

	var listed []SubscriptionData
	if err := retry.do(ctx, func(ctx context.Context) (err error) {
		listed, err = r.client.List(ctx)
		return err
	}); err != nil {
		return err
	}
	meids := map[string]bool{}
	for _, s := range listed {
		meids[s.Meid] = true
	}

	want, err := r.desired(cnfs)
	errs = append(errs, err)

	r.mu.Lock()
	var stale, gone []Subscription
	for key, s := range r.subs {
		d, ok := want[key]
		switch {
		case !meids[s.NodeID]:
			gone = append(gone, s)
		case !ok || d.fp != s.fingerprint:
			stale = append(stale, s)
		}
	}
	for _, s := range gone {
		delete(r.subs, s.CNF)
	}
	r.mu.Unlock()
	for _, s := range gone {
		r.opts.Logger.Warn("KPM subscription no longer listed by the subscription manager; recreating", "cnf", s.CNF, "nodeId", s.NodeID, "subscriptionId", s.ID)
	}

	sortSubs(stale)
	for _, s := range stale {
		err := retry.do(ctx, func(ctx context.Context) error { return r.client.Delete(ctx, s.ID) })
		var se *StatusError
		if err != nil && !(errors.As(err, &se) && (se.StatusCode == http.StatusBadRequest || se.StatusCode == http.StatusNotFound)) {
			if retryable(err) || ctx.Err() != nil {
				return errors.Join(append(errs, err)...)
			}
			errs = append(errs, fmt.Errorf("CNF %s: %w", s.CNF, err))
			continue
		}
		// Deleted, or the manager does not know the id: either way it is gone.
		r.mu.Lock()
		delete(r.subs, s.CNF)
		r.mu.Unlock()
		r.opts.Logger.Info("KPM subscription deleted", "cnf", s.CNF, "nodeId", s.NodeID, "subscriptionId", s.ID)
	}

	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		r.mu.Lock()
		_, held := r.subs[key]
		r.mu.Unlock()
		if held {
			continue
		}
		d := want[key]
		var resp SubscriptionResponse
		err := retry.do(ctx, func(ctx context.Context) (err error) {
			resp, err = r.client.Subscribe(ctx, d.params)
			return err
		})
		if err == nil {
			err = r.refused(ctx, resp)
		}
		if err != nil {
			if retryable(err) || ctx.Err() != nil {
				return errors.Join(append(errs, fmt.Errorf("CNF %s: %w", key, err))...)
			}
			errs = append(errs, fmt.Errorf("CNF %s: %w", key, err))
			continue
		}
		s := Subscription{CNF: key, NodeID: d.nodeID, ID: resp.SubscriptionID, XappEventInstanceID: d.params.SubscriptionDetails[0].XappEventInstanceID, fingerprint: d.fp}
		r.mu.Lock()
		r.subs[key] = s
		r.mu.Unlock()
		r.opts.Logger.Info("KPM subscription created", "cnf", key, "nodeId", s.NodeID, "subscriptionId", s.ID)
	}
	return errors.Join(errs...)
}

// refused reports an E2 subscription the manager answered with an
// ErrorCause, deleting the REST subscription so the next pass retries it.
func (r *Reconciler) refused(ctx context.Context, resp SubscriptionResponse) error {
	for _, in := range resp.SubscriptionInstances {
		if in.ErrorCause == "" {
			continue
		}
		if err := r.client.Delete(ctx, resp.SubscriptionID); err != nil {
			r.opts.Logger.Warn("delete refused KPM subscription", "subscriptionId", resp.SubscriptionID, "err", err)
		}
		return fmt.Errorf("subscription %s refused by %s: %s (%s)", resp.SubscriptionID, in.ErrorSource, in.ErrorCause, in.TimeoutType)
	}
	return nil
}

// desired builds the wanted subscription of every CNF with spec.kpm.nodeId,
// keeping the instance id of one already held.
func (r *Reconciler) desired(cnfs []inventory.CNF) (map[string]desired, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := map[string]desired{}
	var errs []error
	for _, c := range cnfs {
		if c.CNFDeployment == nil || c.Spec.KPM == nil || c.Spec.KPM.NodeID == "" {
			continue
		}
		key := c.TargetNamespace() + "/" + c.Name
		instance := 0
		if s, ok := r.subs[key]; ok {
			instance = s.XappEventInstanceID
		}
		p, err := r.build.Params(c, 0)
		if err != nil {
			errs = append(errs, fmt.Errorf("CNF %s: %w", key, err))
			continue
		}
		fp, err := json.Marshal(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("CNF %s: %w", key, err))
			continue
		}
		if s, ok := r.subs[key]; !ok || s.fingerprint != string(fp) {
			instance = r.next
			r.next = r.next%65535 + 1 // 1..65535, wrapping
		}
		p.SubscriptionDetails[0].XappEventInstanceID = instance
		want[key] = desired{key: key, nodeID: c.Spec.KPM.NodeID, params: p, fp: string(fp)}
	}
	return want, errors.Join(errs...)
}

// Unsubscribe deletes every held subscription, for a clean shutdown.
func (r *Reconciler) Unsubscribe(ctx context.Context) error {
	r.pass.Lock()
	defer r.pass.Unlock()
	subs := r.Subscriptions()
	retry := r.opts.retrier()
	var errs []error
	for _, s := range subs {
		if err := retry.do(ctx, func(ctx context.Context) error { return r.client.Delete(ctx, s.ID) }); err != nil {
			errs = append(errs, err)
			continue
		}
		r.mu.Lock()
		delete(r.subs, s.CNF)
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Subscriptions returns the held subscriptions ordered by CNF.
func (r *Reconciler) Subscriptions() []Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Subscription, 0, len(r.subs))
	for _, s := range r.subs {
		out = append(out, s)
	}
	sortSubs(out)
	return out
}

// Health returns the state of the last pass.
func (r *Reconciler) Health() Health { return r.health.get() }

// Healthy reports whether the last pass succeeded.
func (r *Reconciler) Healthy() bool { return r.health.get().Healthy }

func sortSubs(s []Subscription) {
	sort.Slice(s, func(i, j int) bool { return s[i].CNF < s[j].CNF })
}
