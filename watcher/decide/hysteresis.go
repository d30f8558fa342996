package decide

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// ruleKey identifies a rule across reloads.
type ruleKey struct {
	kind model.RuleKind
	name string
}

// countKey identifies one rule's consecutive-window count for one CNF.
type countKey struct {
	rule ruleKey
	cnf  string
}

// latch says that a metric rule with a clearCondition proposed action for a
// CNF: the opposite action waits until that clearCondition holds on a closed
// window of the CNF's node.
type latch struct {
	rule   string
	action nephv1.Action
	since  time.Time
}

// hysteresis is the `for` counters and the clear latches.
type hysteresis struct {
	counts  map[countKey]int
	latches map[string][]latch // by CNF name, sorted by rule name
}

func newHysteresis() hysteresis {
	return hysteresis{counts: map[countKey]int{}, latches: map[string][]latch{}}
}

// hold records that the condition held on one more fresh window and returns
// the consecutive count (capped at limit, which is all anyone asks).
func (h *hysteresis) hold(k countKey, limit int) int {
	n := min(h.counts[k]+1, limit)
	h.counts[k] = n
	return n
}

// reset breaks the consecutive count: the condition was false, errored, or
// the window was stale.
func (h *hysteresis) reset(k countKey) { delete(h.counts, k) }

// keepRules drops the counters of rules gone and the latches whose rule is
// gone or no longer has a clearCondition.
func (h *hysteresis) keepRules(keys map[ruleKey]bool, metric map[string]*rule) {
	for k := range h.counts {
		if !keys[k.rule] {
			delete(h.counts, k)
		}
	}
	for name, ls := range h.latches {
		ls = slices.DeleteFunc(ls, func(l latch) bool {
			r := metric[l.rule]
			return r == nil || r.Clear == nil
		})
		if len(ls) == 0 {
			delete(h.latches, name)
		} else {
			h.latches[name] = ls
		}
	}
}

// keepCNFs drops the state of CNFs no longer in the inventory.
func (h *hysteresis) keepCNFs(names map[string]bool) {
	for k := range h.counts {
		if !names[k.cnf] {
			delete(h.counts, k)
		}
	}
	for name := range h.latches {
		if !names[name] {
			delete(h.latches, name)
		}
	}
}

// opposite is the action a clear latch holds back.
func opposite(a nephv1.Action) (nephv1.Action, bool) {
	switch a {
	case nephv1.ActionScaleOut:
		return nephv1.ActionScaleIn, true
	case nephv1.ActionScaleIn:
		return nephv1.ActionScaleOut, true
	}
	return "", false
}

// decided records a decision of action by ruleName for cnf. A decision
// releases the latches that held it back (live, none can exist: the
// decision would have been Hysteresis; in Restore a later decision proves
// they were released), and latch says whether it sets one of its own.
func (h *hysteresis) decided(cnf, ruleName string, action nephv1.Action, at time.Time, setLatch bool) {
	opp, ok := opposite(action)
	if !ok {
		return
	}
	ls := slices.DeleteFunc(h.latches[cnf], func(l latch) bool { return l.action == opp })
	if setLatch {
		i, found := slices.BinarySearchFunc(ls, ruleName, func(l latch, name string) int { return strings.Compare(l.rule, name) })
		if found {
			ls[i] = latch{ruleName, action, at}
		} else {
			ls = slices.Insert(ls, i, latch{ruleName, action, at})
		}
	}
	if len(ls) == 0 {
		delete(h.latches, cnf)
	} else {
		h.latches[cnf] = ls
	}
}

// heldBy returns the latch holding action back for cnf, nil when none does.
func (s *State) heldBy(cnf string, action nephv1.Action) *latch {
	opp, ok := opposite(action)
	if !ok {
		return nil
	}
	for i, l := range s.latches[cnf] {
		if l.action != opp {
			continue
		}
		if r := s.metricByName[l.rule]; r != nil && r.Clear != nil {
			return &s.latches[cnf][i]
		}
	}
	return nil
}

// heldDetail explains a Hysteresis by a latch.
func heldDetail(action nephv1.Action, l *latch) string {
	return fmt.Sprintf("%s is held: rule %s proposed %s at %s and its clearCondition has not held on a closed window since",
		action, l.rule, l.action, l.since.UTC().Format(time.RFC3339))
}

// release evaluates the clearConditions of cnf's latches on a fresh window
// and drops those that hold. An error keeps the latch and is returned.
func (s *State) release(ctx context.Context, c *cnf, in *model.Input, errs []RuleError) []RuleError {
	ls := s.latches[c.name]
	if len(ls) == 0 {
		return errs
	}
	kept := ls[:0]
	for _, l := range ls {
		r := s.metricByName[l.rule]
		if r == nil || r.Clear == nil {
			continue // the rule is gone or lost its clearCondition
		}
		ok, err := r.Clear(ctx, in)
		if err != nil {
			errs = append(errs, RuleError{Rule: r.Name, Kind: r.Kind, CNF: c.name, Err: fmt.Errorf("clearCondition: %w", err)})
			kept = append(kept, l)
			continue
		}
		if !ok {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		delete(s.latches, c.name)
	} else {
		s.latches[c.name] = kept
	}
	return errs
}
