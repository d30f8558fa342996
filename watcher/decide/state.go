package decide

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// The defaults of Options.
const (
	DefaultStaleness      = 90 * time.Second
	DefaultDedup          = 5 * time.Minute
	DefaultBurstThreshold = 5
	DefaultBurstPeriod    = time.Minute
	DefaultCooldown       = 5 * time.Minute
)

// Options are decide's tunables. A zero field takes its default.
type Options struct {
	// Staleness is how old a window's newest sample may be (now -
	// Window.Newest) before the window is Stale (default 90 s).
	Staleness time.Duration
	// Dedup is how long an exact event key, and an incident after its
	// last event, suppress their repeats (default 5 min).
	Dedup time.Duration
	// BurstThreshold events of one fingerprint within BurstPeriod are an
	// incident; more are a burst (defaults 5 and 1 min).
	BurstThreshold int
	BurstPeriod    time.Duration
	// DefaultCooldown is the cooldown of a rule whose Cooldown is 0
	// (default 5 min).
	DefaultCooldown time.Duration
	// Supersede lets a decision of another action than the CNF's open
	// proposal through (the review stage then closes the older pull
	// request); without it any open proposal holds the CNF.
	Supersede bool
}

func (o Options) withDefaults() Options {
	if o.Staleness <= 0 {
		o.Staleness = DefaultStaleness
	}
	if o.Dedup <= 0 {
		o.Dedup = DefaultDedup
	}
	if o.BurstThreshold <= 0 {
		o.BurstThreshold = DefaultBurstThreshold
	}
	if o.BurstPeriod <= 0 {
		o.BurstPeriod = DefaultBurstPeriod
	}
	if o.DefaultCooldown <= 0 {
		o.DefaultCooldown = DefaultCooldown
	}
	return o
}

// State is everything decide remembers between calls: the rules, the
// inventory, the proposer's view, hysteresis counters, dedup and incident
// state, and cooldown starts. Its methods mutate it and return their
// outcomes; it is not safe for concurrent use (the caller serializes).
type State struct {
	opts Options

	metricRules []*rule // sorted by name
	eventRules  []*rule // sorted by name
	// metricByName finds the rule behind a clear latch.
	metricByName map[string]*rule

	cnfs     []*cnf // sorted by name, then namespace
	byNode   map[string][]*cnf
	bySource map[string][]*cnf

	// open is the action of each CNF's open proposal ("" when unknown).
	open map[string]nephv1.Action
	// rejected are the rejected decision ids; rejectedAt the latest
	// rejection per (CNF, action).
	rejected   map[string]bool
	rejectedAt map[cooldownKey]model.Rejection

	hysteresis
	cooldowns map[cooldownKey]time.Time
	// lastWindow is the start of the newest window evaluated per node.
	lastWindow map[string]time.Time
	dedup      dedup
}

// New returns an empty State: no rules, no inventory, nothing remembered.
func New(opts Options) *State {
	opts = opts.withDefaults()
	return &State{
		opts:         opts,
		metricByName: map[string]*rule{},
		byNode:       map[string][]*cnf{},
		bySource:     map[string][]*cnf{},
		hysteresis:   newHysteresis(),
		cooldowns:    map[cooldownKey]time.Time{},
		lastWindow:   map[string]time.Time{},
		dedup:        newDedup(opts),
	}
}

// RuleError is a rule function that returned an error: its condition,
// clearCondition, intentTemplate or avoid templates. The rule is skipped for
// that CNF at that moment; the caller counts and logs the error.
type RuleError struct {
	Rule string
	Kind model.RuleKind
	// CNF is the CNF the rule was evaluated for ("" when none).
	CNF string
	Err error
}

func (e RuleError) Error() string {
	if e.CNF == "" {
		return fmt.Sprintf("%s %q: %v", e.Kind, e.Rule, e.Err)
	}
	return fmt.Sprintf("%s %q for CNF %s: %v", e.Kind, e.Rule, e.CNF, e.Err)
}

func (e RuleError) Unwrap() error { return e.Err }

// rule is a model.Rule with its target compiled.
type rule struct {
	model.Rule
	selector labels.Selector // nil: any labels
	// invalid is set when the target's selector does not compile: the rule
	// then matches no CNF.
	invalid bool
}

func (r *rule) forWindows() int {
	if r.For < 1 {
		return 1
	}
	return r.For
}

func (r *rule) matches(c *nephv1.CNFDeployment) bool {
	if r.invalid {
		return false
	}
	t := r.Target
	if t == nil {
		return true
	}
	if t.NFType != "" && t.NFType != c.Spec.NFType {
		return false
	}
	if len(t.Names) > 0 && !slices.Contains(t.Names, c.Name) {
		return false
	}
	if r.selector != nil && !r.selector.Matches(labels.Set(c.Labels)) {
		return false
	}
	return true
}

// cnf is one inventory CNFDeployment with what decide derives from it.
type cnf struct {
	dep  *nephv1.CNFDeployment
	name string
	view model.CNFView
	// cells restricts Input.Cells to spec.kpm.cellIds (nil: every cell).
	cells []string
	// The rules whose target selects this CNF, sorted by name.
	metricRules []*rule
	eventRules  []*rule
}

// SetRules replaces the rules (a hot reload). Hysteresis counters and clear
// latches of rules whose (kind, name) still exists are kept; those of rules
// gone are dropped. A rule whose target selector does not compile matches
// no CNF and is reported in the returned error, as is a second rule of the
// same kind and name (the first one is kept).
func (s *State) SetRules(rules []model.Rule) error {
	var errs []error
	seen := map[ruleKey]bool{}
	s.metricRules, s.eventRules = nil, nil
	s.metricByName = map[string]*rule{}
	for _, mr := range rules {
		k := ruleKey{mr.Kind, mr.Name}
		if seen[k] {
			errs = append(errs, fmt.Errorf("%s %q is declared twice: the first one is used", mr.Kind, mr.Name))
			continue
		}
		seen[k] = true
		r := &rule{Rule: mr}
		if mr.Target != nil && mr.Target.Selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(mr.Target.Selector)
			if err != nil {
				r.invalid = true
				errs = append(errs, fmt.Errorf("%s %q: target selector: %w", mr.Kind, mr.Name, err))
			} else {
				r.selector = sel
			}
		}
		switch mr.Kind {
		case model.MetricRule:
			s.metricRules = append(s.metricRules, r)
			s.metricByName[r.Name] = r
		case model.EventRule:
			s.eventRules = append(s.eventRules, r)
		default:
			errs = append(errs, fmt.Errorf("rule %q: unknown kind %q", mr.Name, mr.Kind))
		}
	}
	byName := func(a, b *rule) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(s.metricRules, byName)
	slices.SortStableFunc(s.eventRules, byName)
	s.hysteresis.keepRules(seen, s.metricByName)
	s.bind()
	return errors.Join(errs...)
}

// SetInventory replaces the CNFs signals map to. The last-intent-action and
// last-intent-at annotations start that action's cooldown (the later of the
// annotation and a decision recorded here wins). Hysteresis state of CNFs
// no longer listed is dropped; nothing else is.
//
// decide never changes a CNF's replicas itself: the live watcher re-reads
// the inventory after a proposal merges. Replay simulates a merge by
// applying the intent to its copy of the CNFDeployment (replicas and the
// last-intent annotations, as apply-intent does) and calling SetInventory.
func (s *State) SetInventory(cnfs []*nephv1.CNFDeployment) {
	s.cnfs = s.cnfs[:0]
	names := map[string]bool{}
	for _, dep := range cnfs {
		if dep == nil {
			continue
		}
		c := &cnf{
			dep:  dep,
			name: dep.Name,
			view: model.CNFView{
				Name:        dep.Name,
				NFType:      string(dep.Spec.NFType),
				Replicas:    dep.Spec.Replicas,
				MinReplicas: dep.Spec.Scaling.MinReplicas,
				MaxReplicas: dep.Spec.Scaling.MaxReplicas,
				Labels:      dep.Labels,
			},
		}
		if dep.Spec.KPM != nil && len(dep.Spec.KPM.CellIDs) > 0 {
			c.cells = dep.Spec.KPM.CellIDs
		}
		s.cnfs = append(s.cnfs, c)
		names[dep.Name] = true
		s.cooldownFromAnnotations(dep)
	}
	sort.SliceStable(s.cnfs, func(i, j int) bool {
		if s.cnfs[i].name != s.cnfs[j].name {
			return s.cnfs[i].name < s.cnfs[j].name
		}
		return s.cnfs[i].dep.Namespace < s.cnfs[j].dep.Namespace
	})
	s.hysteresis.keepCNFs(names)
	s.bind()
}

// SetProposals replaces the proposer's view: the CNFs with an open proposal
// and its action ("" when unknown), and the proposals a reviewer
// rejected. Replay never calls it.
func (s *State) SetProposals(open map[string]nephv1.Action, rejected []model.Rejection) {
	s.open = make(map[string]nephv1.Action, len(open))
	for cnf, a := range open {
		s.open[cnf] = a
	}
	s.rejected = make(map[string]bool, len(rejected))
	s.rejectedAt = make(map[cooldownKey]model.Rejection, len(rejected))
	for _, r := range rejected {
		s.rejected[r.ID] = true
		k := cooldownKey{r.CNF, r.Action}
		if cur, ok := s.rejectedAt[k]; !ok || r.At.After(cur.At) {
			s.rejectedAt[k] = r
		}
	}
}

// bind recomputes which rules select which CNF and the signal indexes.
func (s *State) bind() {
	s.byNode = map[string][]*cnf{}
	s.bySource = map[string][]*cnf{}
	for _, c := range s.cnfs {
		c.metricRules, c.eventRules = nil, nil
		for _, r := range s.metricRules {
			if r.matches(c.dep) {
				c.metricRules = append(c.metricRules, r)
			}
		}
		for _, r := range s.eventRules {
			if r.matches(c.dep) {
				c.eventRules = append(c.eventRules, r)
			}
		}
		if k := c.dep.Spec.KPM; k != nil && k.NodeID != "" {
			s.byNode[k.NodeID] = append(s.byNode[k.NodeID], c)
		}
		seen := map[string]bool{}
		for _, src := range c.dep.VESSourceNames() {
			if src == "" || seen[src] {
				continue
			}
			seen[src] = true
			s.bySource[src] = append(s.bySource[src], c)
		}
	}
}

// Restore rebuilds what a restart lost, without producing outputs: the
// dedup, burst and incident state from the store's recent events (each at
// its ReceivedAt), and the cooldown starts and clear latches from the
// recorded decisions (suppressions are ignored). Hysteresis counters are
// not restored: windows are not stored, so a rule with for: N needs N fresh
// windows after a restart. Call it once, before the first Window or Event.
func (s *State) Restore(events []model.Event, decisions []model.Decision) {
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b model.Event) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	for i := range evs {
		sig := parseSignal(&evs[i], decodeEvent(evs[i].Raw))
		s.dedup.observe(sig, eventTime(&evs[i], evs[i].ReceivedAt))
	}
	ds := slices.Clone(decisions)
	slices.SortStableFunc(ds, func(a, b model.Decision) int { return a.At.Compare(b.At) })
	for _, d := range ds {
		if d.Suppressed != "" || d.CNF == "" || d.Action == "" {
			continue
		}
		s.startCooldown(d.CNF, d.Action, d.At)
		s.hysteresis.decided(d.CNF, d.Rule, d.Action, d.At, true)
	}
}
