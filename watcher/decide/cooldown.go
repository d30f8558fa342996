package decide

import (
	"fmt"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// cooldownKey is what a cooldown is kept per: a CNF and an action.
type cooldownKey struct {
	cnf    string
	action nephv1.Action
}

// startCooldown records that action was decided for cnf at at; the latest
// start wins, so an older annotation or decision never shortens a cooldown.
func (s *State) startCooldown(cnf string, action nephv1.Action, at time.Time) {
	k := cooldownKey{cnf, action}
	if cur, ok := s.cooldowns[k]; !ok || at.After(cur) {
		s.cooldowns[k] = at
	}
}

// Approved says a person approved (merged) a proposal of action for cnf
// at at: the cooldown counts from then when that is later than its start.
func (s *State) Approved(cnf string, action nephv1.Action, at time.Time) {
	s.startCooldown(cnf, action, at)
}

// cooldownFromAnnotations reads the last intent apply-intent stamped on a
// CNFDeployment (its action and time) as a cooldown start. Missing or
// unparsable annotations start nothing.
func (s *State) cooldownFromAnnotations(dep *nephv1.CNFDeployment) {
	action := nephv1.Action(dep.Annotations[nephv1.AnnotationLastIntentAction])
	at, err := time.Parse(time.RFC3339, dep.Annotations[nephv1.AnnotationLastIntentAt])
	if action == "" || err != nil {
		return
	}
	s.startCooldown(dep.Name, action, at)
}

// cooldownLength is a rule's cooldown, defaulted.
func (s *State) cooldownLength(r *rule) time.Duration {
	if r.Cooldown > 0 {
		return r.Cooldown
	}
	return s.opts.DefaultCooldown
}

// cooling returns why (cnf, action) is still cooling down at now under r's
// cooldown, or "" when it is not. The length is the rule now asking's: an
// annotation does not say which rule started it.
func (s *State) cooling(cnf string, r *rule, now time.Time) string {
	start, ok := s.cooldowns[cooldownKey{cnf, r.Action}]
	if !ok {
		return ""
	}
	length := s.cooldownLength(r)
	end := start.Add(length)
	if !now.Before(end) {
		return ""
	}
	return fmt.Sprintf("cooldown of %s for %s ends at %s (started %s, %s)",
		r.Action, cnf, end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339), length)
}

// rejectedRecently says why (CNF, action) may not be proposed at now: a
// proposal of it was rejected less than the rule's cooldown ago. It returns
// "" when none was.
func (s *State) rejectedRecently(cnf string, r *rule, now time.Time) string {
	rej, ok := s.rejectedAt[cooldownKey{cnf, r.Action}]
	if !ok {
		return ""
	}
	length := s.cooldownLength(r)
	end := rej.At.Add(length)
	if !now.Before(end) {
		return ""
	}
	detail := fmt.Sprintf("proposal %s (%s of %s) was rejected at %s; none again before %s", rej.ID, r.Action, cnf,
		rej.At.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	if rej.Detail != "" {
		detail += " (" + rej.Detail + ")"
	}
	return detail
}

// Cooling says, for every inventory CNF, whether some action of it is
// cooling down at now: under the longest cooldown of the rules proposing
// that action (the default when none does). The watcher exports it as
// planner_cooldown_active{cnf}.
func (s *State) Cooling(now time.Time) map[string]bool {
	longest := map[nephv1.Action]time.Duration{}
	for _, rs := range [][]*rule{s.metricRules, s.eventRules} {
		for _, r := range rs {
			longest[r.Action] = max(longest[r.Action], s.cooldownLength(r))
		}
	}
	out := make(map[string]bool, len(s.cnfs))
	for _, c := range s.cnfs {
		out[c.dep.Name] = false
	}
	for k, start := range s.cooldowns {
		if _, ok := out[k.cnf]; !ok {
			continue
		}
		length, ok := longest[k.action]
		if !ok {
			length = s.opts.DefaultCooldown
		}
		if now.Before(start.Add(length)) {
			out[k.cnf] = true
		}
	}
	return out
}
