package rules

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/nephoran/nephoran/watcher/model"
)

// DefaultCostLimit is the CEL cost one evaluation of a condition may spend,
// and the worst-case estimate a condition may have to be loaded. One unit is
// roughly one simple operation (a field select, a comparison, one loop
// step); 1,000,000 is about 50 ms of CPU, far above any sensible rule.
const DefaultCostLimit uint64 = 1_000_000

// The CEL variables. Event rules see event, cnf and node; metric rules see
// metrics, cnf, node and cell.
const (
	// VarEvent is the VES event object in its JSON shape
	// ({"commonEventHeader":{...},"faultFields":{...}}), map(string, dyn).
	VarEvent = "event"
	// VarMetrics are the window's values by name, map(string, double).
	VarMetrics = "metrics"
	// VarCNF is the CNFDeployment the signal maps to, map(string, dyn) with
	// name, nfType, replicas, minReplicas, maxReplicas and labels.
	VarCNF = "cnf"
	// VarNode is the E2 node id (metric rules) or the event's sourceName, string.
	VarNode = "node"
	// VarCell holds the window's per-cell metrics by cell id,
	// map(string, map(string, double)).
	VarCell = "cell"
)

// Size hints for the compile-time cost estimate. CEL cannot know how large
// a map or a string in the input will be, so the estimate assumes at most
// these; a condition whose worst case over inputs of these sizes exceeds the
// cost limit is refused at load. They are assumptions, not checks: an input
// larger than a hint is still evaluated, and the runtime cost limit stops it.
const (
	// maxEventSize bounds every map, list and string inside a VES event.
	maxEventSize = 4096
	// maxMetrics bounds the metrics of one window (and the keys of cell).
	maxMetrics = 1024
	// maxCells bounds the cells of one E2 node (F1AP maxCellingNBDU is 512).
	maxCells = 512
	// maxCellMetrics bounds the metrics of one cell.
	maxCellMetrics = 256
	// maxLabels bounds a CNF's labels.
	maxLabels = 64
	// maxName bounds names, label values and map keys (a DNS subdomain).
	maxName = 253
)

// envs are the two CEL environments, built once: cel.Env is safe for
// concurrent use.
var envs = sync.OnceValues(func() (map[model.RuleKind]*cel.Env, error) {
	common := []cel.EnvOption{
		cel.Variable(VarCNF, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(VarNode, cel.StringType),
		// metrics['x'] > 1 reads as written, and event numbers (doubles
		// from JSON) compare with integer literals.
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
	}
	event, err := cel.NewEnv(append(common,
		cel.Variable(VarEvent, cel.MapType(cel.StringType, cel.DynType)))...)
	if err != nil {
		return nil, fmt.Errorf("build the event rule CEL environment: %w", err)
	}
	metric, err := cel.NewEnv(append(common,
		cel.Variable(VarMetrics, cel.MapType(cel.StringType, cel.DoubleType)),
		cel.Variable(VarCell, cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DoubleType))))...)
	if err != nil {
		return nil, fmt.Errorf("build the metric rule CEL environment: %w", err)
	}
	return map[model.RuleKind]*cel.Env{model.EventRule: event, model.MetricRule: metric}, nil
})

// envFor returns the CEL environment of a rule kind.
func envFor(kind model.RuleKind) (*cel.Env, error) {
	m, err := envs()
	if err != nil {
		return nil, err
	}
	e, ok := m[kind]
	if !ok {
		return nil, fmt.Errorf("no CEL environment for rule kind %q", kind)
	}
	return e, nil
}

// sizeHints is the checker.CostEstimator that applies the size hints.
type sizeHints struct{}

var _ checker.CostEstimator = sizeHints{}

// EstimateSize bounds the size of a node reached from one of the variables.
// Paths are variable, then field names, @keys, @values or @items.
func (sizeHints) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	p := n.Path()
	if len(p) == 0 {
		return nil
	}
	var max uint64
	switch p[0] {
	case VarEvent:
		max = maxEventSize
	case VarNode:
		max = maxName
	case VarMetrics:
		max = maxMetrics
		if len(p) > 1 { // a key
			max = maxName
		}
	case VarCell:
		switch {
		case len(p) == 1:
			max = maxCells
		case len(p) == 2 && p[1] == "@values":
			max = maxCellMetrics
		default:
			max = maxName
		}
	case VarCNF:
		switch {
		case len(p) == 1:
			max = 16
		case len(p) == 2 && p[1] == "labels":
			max = maxLabels
		default:
			max = maxName
		}
	default:
		return nil
	}
	return &checker.SizeEstimate{Min: 0, Max: max}
}

// EstimateCallCost leaves every function to CEL's own estimate.
func (sizeHints) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// largerInputs is sizeHints with every input size a thousand times larger:
// an expression whose estimate does not change under it costs the same
// whatever the input's size (compile uses this to skip the runtime cost
// tracking, whose bookkeeping is most of an evaluation's time).
type largerInputs struct{ sizeHints }

func (l largerInputs) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	e := l.sizeHints.EstimateSize(n)
	if e == nil {
		return nil
	}
	return &checker.SizeEstimate{Min: e.Min, Max: e.Max * 1000}
}

// activation binds the CEL variables to an Input without copying it (except
// for the one event field it converts, see eventView).
type activation struct {
	in    *model.Input
	event map[string]any
	cnf   map[string]any
}

var _ interpreter.Activation = (*activation)(nil)

func newActivation(in *model.Input) *activation {
	a := &activation{in: in}
	if in.Event != nil {
		a.event = eventView(in.Event)
	}
	return a
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case VarEvent:
		if a.event == nil {
			return map[string]any{}, true
		}
		return a.event, true
	case VarMetrics:
		if a.in.Metrics == nil {
			return map[string]float64{}, true
		}
		return a.in.Metrics, true
	case VarCell:
		if a.in.Cells == nil {
			return map[string]map[string]float64{}, true
		}
		return a.in.Cells, true
	case VarNode:
		return a.in.Node, true
	case VarCNF:
		if a.cnf == nil {
			a.cnf = cnfMap(a.in.CNF)
		}
		return a.cnf, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// cnfMap is the cnf variable: the CNFView with the JSON names the
// CNFDeployment uses.
func cnfMap(c model.CNFView) map[string]any {
	labels := c.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return map[string]any{
		"name":        c.Name,
		"nfType":      c.NFType,
		"replicas":    int64(c.Replicas),
		"minReplicas": int64(c.MinReplicas),
		"maxReplicas": int64(c.MaxReplicas),
		"labels":      labels,
	}
}

// eventView returns the event as a condition sees it: the input itself,
// except that thresholdCrossingAlertFields.alertValue, a string in the VES
// schema, is a double when it parses as one, so that
// event.thresholdCrossingAlertFields.alertValue > 0.9 works as written.
// Only the path it changes is copied; the input is never modified.
func eventView(ev map[string]any) map[string]any {
	tca, ok := ev["thresholdCrossingAlertFields"].(map[string]any)
	if !ok {
		return ev
	}
	s, ok := tca["alertValue"].(string)
	if !ok {
		return ev
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return ev
	}
	tcaCopy := make(map[string]any, len(tca))
	for k, v := range tca {
		tcaCopy[k] = v
	}
	tcaCopy["alertValue"] = f
	evCopy := make(map[string]any, len(ev))
	for k, v := range ev {
		evCopy[k] = v
	}
	evCopy["thresholdCrossingAlertFields"] = tcaCopy
	return evCopy
}
