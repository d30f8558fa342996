package watcher

import (
	"context"
	"time"

	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/model"
)

// engine is the decision loop that Run and Replay share: it moves the clock,
// takes the KPM windows that closed and the accepted VES events through
// decide, and hands every outcome to record. It is not safe for concurrent
// use: Run drives it from one goroutine, Replay from its read loop.
type engine struct {
	windows *kpm.Ingester
	// grace is how long after its end a window stays open for the report
	// of its last granularity period, which arrives just after the end.
	grace time.Duration
	state *decide.State
	// record receives every decision and suppression, in order.
	record func(ctx context.Context, ds []model.Decision)
	// observeWindow, when set, sees each closed window before decide.
	observeWindow func(w model.Window, now time.Time)
	// ruleError receives each rule evaluation that failed (skipped).
	ruleError func(err decide.RuleError)
}

// DefaultWindowGrace is engine.grace unless configured: a report is sent at
// the end of its granularity period, so the last one of a window arrives
// just after the window's end.
const DefaultWindowGrace = 5 * time.Second

// tick closes the windows whose end (plus the grace) now has passed and
// decides on each; staleness is still measured at now.
func (e *engine) tick(ctx context.Context, now time.Time) {
	for _, w := range e.windows.CloseWindows(now.Add(-e.grace)) {
		if e.observeWindow != nil {
			e.observeWindow(w, now)
		}
		out, errs := e.state.Window(ctx, w, now)
		e.done(ctx, out, errs)
	}
}

// events decides on accepted VES events, after closing what now closes.
func (e *engine) events(ctx context.Context, evs []model.Event, now time.Time) {
	e.tick(ctx, now)
	for _, ev := range evs {
		out, errs := e.state.Event(ctx, ev, now)
		e.done(ctx, out, errs)
	}
}

func (e *engine) done(ctx context.Context, out []model.Decision, errs []decide.RuleError) {
	for _, err := range errs {
		if e.ruleError != nil {
			e.ruleError(err)
		}
	}
	if len(out) > 0 {
		e.record(ctx, out)
	}
}
