package watcher

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	applyintent "github.com/nephoran/nephoran/functions/apply-intent"
	"github.com/nephoran/nephoran/watcher/decide"
	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/ingest/ves"
	"github.com/nephoran/nephoran/watcher/inventory"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/rules"
)

// maxTraceLine bounds one trace line: a VES body (2 MiB at most, as the
// listener takes it) or a KPM push, plus the envelope.
const maxTraceLine = 8 << 20

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Packages is the directory whose CNFDeployments are the inventory.
	Packages string
	// Rules is the rule directory (a missing directory is an empty set).
	Rules string
	// Lenient takes the trace's VES bodies in lenient mode, as a watcher
	// configured with ves.lenient would.
	Lenient bool
	// Logger receives the trace lines the listener or the KPM decoder
	// refused (they are skipped, as the live watcher would refuse them).
	Logger *slog.Logger
}

// ReplaySummary counts what a replay read and decided.
type ReplaySummary struct {
	Lines, KPMReports, Events, Refused int
	Decisions, Suppressions            int
	RuleErrors                         int
	// From and To are the first and last `at` of the trace.
	From, To time.Time
}

// traceLine is one line of a trace: exactly one of KPM and VES is set.
type traceLine struct {
	At  time.Time       `json:"at"`
	KPM json.RawMessage `json:"kpm"`
	VES json.RawMessage `json:"ves"`
	// fast is set when parseTraceLine split the envelope without a full
	// JSON parse (the payload is checked by its own decoder).
	fast bool
}

// parseTraceLine reads one line. Lines as `nephoran trace export` and
// internal/tracegen write them ({"at":"<time>","kpm"|"ves":<payload>}) are
// split without parsing the payload twice: its decoder (KPM, or the VES
// listener) checks it anyway, and a split that its decoder refuses is read
// again by slowTraceLine. Anything else goes to encoding/json.
func parseTraceLine(raw []byte) (traceLine, error) {
	const prefix = `{"at":"`
	if bytes.HasPrefix(raw, []byte(prefix)) && raw[len(raw)-1] == '}' {
		rest := raw[len(prefix):]
		if q := bytes.IndexByte(rest, '"'); q > 0 {
			at, err := time.Parse(time.RFC3339Nano, string(rest[:q]))
			rest = rest[q+1:]
			if err == nil && len(rest) > len(`,"kpm":}`) {
				l := traceLine{At: at, fast: true}
				payload := rest[len(`,"kpm":`) : len(rest)-1]
				switch string(rest[:len(`,"kpm":`)]) {
				case `,"kpm":`:
					l.KPM = payload
					return l, nil
				case `,"ves":`:
					l.VES = payload
					return l, nil
				}
			}
		}
	}
	return slowTraceLine(raw)
}

// check says what is missing from a line.
func (l *traceLine) check() error {
	switch {
	case l.At.IsZero():
		return errors.New("at is missing")
	case (l.KPM == nil) == (l.VES == nil):
		return errors.New("want exactly one of kpm and ves")
	}
	return nil
}

func slowTraceLine(raw []byte) (traceLine, error) {
	var l traceLine
	err := json.Unmarshal(raw, &l)
	return l, err
}

// Replay runs a trace through the same normalization, rules and decisions as
// the live watcher, on a clock driven by the lines' `at`, closes the windows
// still open at the end, and hands every decision and suppression to emit in
// order. Replay assumes every decision is approved and merged at once: the
// CNF's replicas, placement and last-intent annotations change as
// apply-intent would change them, so bounds and cooldowns play out as they
// would have. Lines must be in time order; a line that is not JSON, has no
// `at`, or goes back in time is an error naming its line number.
func Replay(ctx context.Context, opts ReplayOptions, trace io.Reader, emit func(model.Decision) error) (ReplaySummary, error) {
	var sum ReplaySummary
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cnfs, err := loadInventory(opts.Packages)
	if err != nil {
		return sum, err
	}
	rs, err := rules.Load(opts.Rules, rules.Options{})
	if err != nil {
		return sum, err
	}

	var now time.Time
	clock := func() time.Time { return now }
	state := decide.New(decide.Options{})
	if err := state.SetRules(rs); err != nil {
		return sum, fmt.Errorf("rules: %w", err)
	}
	sim, err := newMerges(cnfs)
	if err != nil {
		return sum, err
	}
	state.SetInventory(sim.deployments())

	var emitErr error
	e := &engine{
		grace:   DefaultWindowGrace,
		windows: kpm.New(kpm.Options{Now: clock, Registerer: prometheus.NewRegistry()}),
		state:   state,
		record: func(_ context.Context, ds []model.Decision) {
			for _, d := range ds {
				if d.Suppressed == "" {
					sum.Decisions++
					if sim.apply(d) {
						state.SetInventory(sim.deployments())
					}
				} else {
					sum.Suppressions++
				}
				if emitErr == nil {
					emitErr = emit(d)
				}
			}
		},
		ruleError: func(err decide.RuleError) {
			sum.RuleErrors++
			log.Warn("rule evaluation failed; skipped", "error", err)
		},
	}
	var accepted []model.Event
	listener, err := ves.New(ves.Options{
		Sink: ves.SinkFunc(func(_ context.Context, evs []model.Event) error {
			accepted = append(accepted, evs...)
			return nil
		}),
		Registerer: prometheus.NewRegistry(), Now: clock, Lenient: opts.Lenient,
	})
	if err != nil {
		return sum, err
	}

	sc := bufio.NewScanner(trace)
	sc.Buffer(make([]byte, 0, 64<<10), maxTraceLine)
	for sc.Scan() {
		sum.Lines++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		l, err := parseTraceLine(raw)
		if err != nil {
			return sum, fmt.Errorf("trace line %d: %w", sum.Lines, err)
		}
		if err := l.check(); err != nil {
			return sum, fmt.Errorf("trace line %d: %w", sum.Lines, err)
		}
		if l.At.Before(now) {
			return sum, fmt.Errorf("trace line %d: at %s goes back in time (the previous line is at %s)", sum.Lines, l.At.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		}
		if sum.From.IsZero() {
			sum.From = l.At
		}
		now = l.At
		if l.KPM != nil {
			e.tick(ctx, now)
			reports, err := kpm.DecodeReports(l.KPM, now)
			if err != nil && l.fast {
				// The fast envelope split may have cut a line with more
				// members: read it the slow way before refusing it.
				if l, err = slowTraceLine(raw); err == nil {
					if err = l.check(); err != nil {
						return sum, fmt.Errorf("trace line %d: %w", sum.Lines, err)
					}
					reports, err = kpm.DecodeReports(l.KPM, now)
				}
			}
			if err != nil {
				sum.Refused++
				log.Warn("trace line refused", "line", sum.Lines, "error", err)
				continue
			}
			sum.KPMReports += len(reports)
			e.windows.Ingest(reports)
		} else {
			accepted = accepted[:0]
			err := listener.Submit(ctx, l.VES)
			if err != nil && l.fast {
				if l, err = slowTraceLine(raw); err == nil {
					if err = l.check(); err != nil {
						return sum, fmt.Errorf("trace line %d: %w", sum.Lines, err)
					}
					err = listener.Submit(ctx, l.VES)
				}
			}
			if err != nil {
				sum.Refused++
				log.Warn("trace line refused", "line", sum.Lines, "error", err)
				e.tick(ctx, now)
				continue
			}
			sum.Events += len(accepted)
			e.events(ctx, accepted, now)
		}
		if emitErr != nil {
			return sum, emitErr
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sum, fmt.Errorf("trace line %d: longer than %d bytes", sum.Lines+1, maxTraceLine)
		}
		return sum, fmt.Errorf("read trace: %w", err)
	}
	sum.To = now
	// The end of the trace closes every window still open (a sample may
	// start up to one window ahead of the clock).
	e.tick(ctx, now.Add(2*e.windows.Window()+e.grace))
	return sum, emitErr
}

// loadInventory reads the CNFDeployments under dir.
func loadInventory(dir string) ([]inventory.CNF, error) {
	if dir == "" {
		return nil, nil
	}
	cnfs, err := inventory.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return cnfs, nil
}

// merges is replay's inventory: each decision is applied as if approved and
// merged at once.
type merges struct {
	byName map[string]*nephv1.CNFDeployment
}

func newMerges(cnfs []inventory.CNF) (*merges, error) {
	m := &merges{byName: make(map[string]*nephv1.CNFDeployment, len(cnfs))}
	for _, c := range cnfs {
		// A deep copy (the API types have no DeepCopy): replay changes them.
		b, err := json.Marshal(c.CNFDeployment)
		if err != nil {
			return nil, fmt.Errorf("inventory %s: %w", c.File, err)
		}
		cp := new(nephv1.CNFDeployment)
		if err := json.Unmarshal(b, cp); err != nil {
			return nil, fmt.Errorf("inventory %s: %w", c.File, err)
		}
		m.byName[c.Name] = cp
	}
	return m, nil
}

// deployments lists the CNFs by name.
func (m *merges) deployments() []*nephv1.CNFDeployment {
	out := make([]*nephv1.CNFDeployment, 0, len(m.byName))
	for _, c := range m.byName {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// apply changes the decision's CNF as apply-intent would; false when it
// changes nothing.
func (m *merges) apply(d model.Decision) bool {
	c := m.byName[d.CNF]
	if c == nil || d.Intent == nil {
		return false
	}
	change, perr := applyintent.Plan(c, d.Intent)
	if perr != nil {
		return false
	}
	if change.Replicas != nil {
		c.Spec.Replicas = *change.Replicas
	}
	if change.RestartGeneration != nil {
		c.Spec.RestartGeneration = *change.RestartGeneration
	}
	if change.Placement != nil {
		pl := c.Spec.Placement
		if pl == nil {
			pl = &nephv1.Placement{}
		}
		pl.Sites, pl.ExcludedSites, pl.ExcludedNodes = change.Placement.Sites, change.Placement.ExcludedSites, change.Placement.ExcludedNodes
		c.Spec.Placement = pl
	}
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[nephv1.AnnotationLastIntentID] = d.Intent.Name
	c.Annotations[nephv1.AnnotationLastIntentAction] = string(d.Action)
	c.Annotations[nephv1.AnnotationLastIntentAt] = d.At.UTC().Format(time.RFC3339)
	return true
}
