package decide

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// moment is one evaluation moment (one Window or Event call): what every
// output of it shares.
type moment struct {
	now time.Time
	// basis is what decision ids hash beside CNF, action and rule: the
	// window, or the incident's fingerprint and first-event time.
	basis         string
	correlationID string
	// node is the E2 node id or the event's sourceName.
	node       string
	alertValue string
	event      map[string]any
	metrics    map[string]float64
	// evidence builds the intent's evidence (only for a decision).
	evidence func() map[string]json.RawMessage
}

func (m *moment) view(c *cnf, r *rule) *model.TemplateView {
	return &model.TemplateView{
		SourceName: m.node,
		AlertValue: m.alertValue,
		CNF:        c.name,
		Rule:       r.Name,
		Node:       m.node,
		Event:      m.event,
		Metrics:    m.metrics,
	}
}

// match is a rule whose condition held for a CNF at a moment, with the
// suppression found so far ("" while it may still become a decision).
type match struct {
	rule       *rule
	suppressed model.Suppression
	detail     string
}

var errNoCondition = errors.New("the rule has no condition")

// condition evaluates a rule's condition; an event rule without one
// matches every event of its domain and severity.
func condition(ctx context.Context, r *rule, in *model.Input) (bool, error) {
	if r.Condition == nil {
		if r.Kind == model.EventRule {
			return true, nil
		}
		return false, errNoCondition
	}
	return r.Condition(ctx, in)
}

// unlatched is a firing rule's match: Hysteresis while a clear latch holds
// its action back for the CNF.
func (s *State) unlatched(c *cnf, r *rule) match {
	if l := s.heldBy(c.name, r.Action); l != nil {
		return match{rule: r, suppressed: model.Hysteresis, detail: heldDetail(r.Action, l)}
	}
	return match{rule: r}
}

// resolve turns one CNF's matches (in rule-name order) into outputs: the
// highest priority among the matches not yet suppressed wins (ties: the
// first rule name), the others are LowerPriority; the winner then passes
// ProposalOpen, Rejected, CooldownActive and AtBound, or becomes a
// decision.
func (s *State) resolve(c *cnf, matches []match, m *moment, out []model.Decision, errs []RuleError) ([]model.Decision, []RuleError) {
	winner := -1
	for i := range matches {
		if matches[i].suppressed != "" {
			continue
		}
		if winner < 0 || matches[i].rule.Priority > matches[winner].rule.Priority {
			winner = i
		}
	}
	for i := range matches {
		if i != winner && matches[i].suppressed == "" {
			w := matches[winner].rule
			matches[i].suppressed = model.LowerPriority
			matches[i].detail = fmt.Sprintf("rule %s (priority %d) wins over priority %d", w.Name, w.Priority, matches[i].rule.Priority)
		}
	}
	for i := range matches {
		mt := &matches[i]
		r := mt.rule
		view := m.view(c, r)
		d := model.Decision{
			ID:            decisionID(c.name, r.Action, r.Name, m.basis),
			At:            m.now,
			CNF:           c.name,
			Action:        r.Action,
			Rule:          r.Name,
			Suppressed:    mt.suppressed,
			Detail:        mt.detail,
			CorrelationID: m.correlationID,
		}
		reason, err := renderReason(r, view)
		if err != nil {
			errs = append(errs, RuleError{Rule: r.Name, Kind: r.Kind, CNF: c.name, Err: fmt.Errorf("intentTemplate: %w", err)})
		}
		d.Reason = reason
		if i == winner {
			avoid, err := s.gate(c, r, view, &d)
			if err != nil {
				errs = append(errs, RuleError{Rule: r.Name, Kind: r.Kind, CNF: c.name, Err: err})
				continue
			}
			if d.Suppressed == "" {
				d.Approval = r.Approval
				if d.Approval == "" {
					d.Approval = nephv1.ApprovalManual
				}
				d.Intent = buildIntent(c, r, &d, m, avoid)
				s.startCooldown(c.name, r.Action, m.now)
				s.decided(c.name, r.Name, r.Action, m.now, r.Kind == model.MetricRule && r.Clear != nil)
			}
		}
		out = append(out, d)
	}
	return out, errs
}

// gate checks the winner in suppression order after LowerPriority and sets
// d.Suppressed and d.Detail when one applies. It returns the avoid lists of
// a migrate, or the error of its avoid templates.
func (s *State) gate(c *cnf, r *rule, view *model.TemplateView, d *model.Decision) (*nephv1.Avoid, error) {
	suppress := func(why model.Suppression, detail string) (*nephv1.Avoid, error) {
		d.Suppressed, d.Detail = why, detail
		return nil, nil
	}
	if a, ok := s.open[c.name]; ok && (!s.opts.Supersede || a == "" || a == r.Action) {
		return suppress(model.ProposalOpen, fmt.Sprintf("a proposal for %s is open", c.name))
	}
	if s.rejected[d.ID] {
		return suppress(model.Rejected, fmt.Sprintf("decision %s was rejected", d.ID))
	}
	if detail := s.rejectedRecently(c.name, r, d.At); detail != "" {
		return suppress(model.Rejected, detail)
	}
	if detail := s.cooling(c.name, r, d.At); detail != "" {
		return suppress(model.CooldownActive, detail)
	}
	var avoid *nephv1.Avoid
	switch r.Action {
	case nephv1.ActionMigrate:
		a, err := renderAvoid(r, view)
		if err != nil {
			return nil, fmt.Errorf("avoid: %w", err)
		}
		avoid = a
	case nephv1.ActionScaleTo:
		if r.Replicas == nil {
			return nil, errors.New("scale_to without replicas")
		}
	}
	if detail := atBound(c, r, avoid); detail != "" {
		return suppress(model.AtBound, detail)
	}
	return avoid, nil
}

// renderReason renders intentTemplate; an empty template (or none) gives a
// default reason, and so does an error (which is returned too).
func renderReason(r *rule, view *model.TemplateView) (string, error) {
	fallback := fmt.Sprintf("%s %s: rule %s", r.Action, view.CNF, r.Name)
	if r.Reason == nil {
		return fallback, nil
	}
	reason, err := r.Reason(view)
	if err != nil || reason == "" {
		return fallback, err
	}
	return reason, nil
}

// renderAvoid renders a migrate's avoid templates, dropping empty and
// repeated values.
func renderAvoid(r *rule, view *model.TemplateView) (*nephv1.Avoid, error) {
	if r.Avoid == nil {
		return &nephv1.Avoid{}, nil
	}
	nodes, sites, err := r.Avoid(view)
	if err != nil {
		return nil, err
	}
	return &nephv1.Avoid{Nodes: uniq(nodes), Sites: uniq(sites)}, nil
}

func uniq(vs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
