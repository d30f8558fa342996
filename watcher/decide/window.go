package decide

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// Window evaluates the metric rules on one closed KPM window at now, for
// every CNF whose spec.kpm.nodeId is the window's node and every metric rule
// whose target selects it. Each closed window is evaluated once: a window
// that does not start after the last one evaluated for its node is ignored.
// See the package documentation for the semantics. Rule function errors are
// returned (the rule is skipped for that CNF, and its count is reset).
func (s *State) Window(ctx context.Context, w model.Window, now time.Time) ([]model.Decision, []RuleError) {
	cnfs := s.byNode[w.NodeID]
	if len(cnfs) == 0 {
		return nil, nil
	}
	if last, ok := s.lastWindow[w.NodeID]; ok && !w.Start.After(last) {
		return nil, nil
	}
	s.lastWindow[w.NodeID] = w.Start
	staleDetail := s.staleness(&w, now)
	m := &moment{
		now:           now,
		basis:         "window\x00" + w.NodeID + "\x00" + fmt.Sprint(w.Start.Unix()),
		correlationID: w.NodeID + "/" + w.Start.UTC().Format(time.RFC3339),
		node:          w.NodeID,
		metrics:       w.Metrics,
		evidence: func() map[string]json.RawMessage {
			return map[string]json.RawMessage{
				"window": mustJSON(struct {
					Node  string `json:"node"`
					Start string `json:"start"`
					End   string `json:"end"`
				}{w.NodeID, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339)}),
				"metrics": mustJSON(finite(w.Metrics)),
			}
		},
	}
	var (
		out  []model.Decision
		errs []RuleError
	)
	for _, c := range cnfs {
		if len(c.metricRules) == 0 && len(s.latches[c.name]) == 0 {
			continue
		}
		in := windowInput(&w, c)
		if staleDetail == "" {
			errs = s.release(ctx, c, in, errs)
		}
		var matches []match
		for _, r := range c.metricRules {
			k := countKey{ruleKey{r.Kind, r.Name}, c.name}
			ok, err := condition(ctx, r, in)
			switch {
			case err != nil:
				s.reset(k)
				errs = append(errs, RuleError{Rule: r.Name, Kind: r.Kind, CNF: c.name, Err: err})
				continue
			case !ok:
				s.reset(k)
				continue
			case staleDetail != "":
				s.reset(k)
				matches = append(matches, match{rule: r, suppressed: model.Stale, detail: staleDetail})
				continue
			}
			if n, need := s.hold(k, r.forWindows()), r.forWindows(); n < need {
				matches = append(matches, match{rule: r, suppressed: model.Hysteresis,
					detail: fmt.Sprintf("condition held on %d of %d consecutive windows", n, need)})
				continue
			}
			matches = append(matches, s.unlatched(c, r))
		}
		out, errs = s.resolve(c, matches, m, out, errs)
	}
	return out, errs
}

// staleness says why a window is Stale, or "" when it is fresh.
func (s *State) staleness(w *model.Window, now time.Time) string {
	switch {
	case w.Disconnected:
		return fmt.Sprintf("node %s is not connected (e2mgr)", w.NodeID)
	case w.Newest.IsZero():
		return fmt.Sprintf("window of node %s has no sample time", w.NodeID)
	case now.Sub(w.Newest) > s.opts.Staleness:
		return fmt.Sprintf("newest sample of node %s is %s old (limit %s)", w.NodeID, now.Sub(w.Newest), s.opts.Staleness)
	}
	return ""
}

// windowInput is what a CNF's metric rules see: the node-level metrics and
// the cells restricted to the CNF's spec.kpm.cellIds when it lists any.
func windowInput(w *model.Window, c *cnf) *model.Input {
	cells := w.Cells
	if c.cells != nil {
		cells = make(map[string]map[string]float64, len(c.cells))
		for _, id := range c.cells {
			if v, ok := w.Cells[id]; ok {
				cells[id] = v
			}
		}
	}
	return &model.Input{Metrics: w.Metrics, CNF: c.view, Node: w.NodeID, Cells: cells}
}
