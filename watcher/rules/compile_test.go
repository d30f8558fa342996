package rules

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// mustCompile compiles one condition outside any file.
func mustCompile(t testing.TB, kind model.RuleKind, expr string, limit uint64) *program {
	t.Helper()
	p, problems := compile(kind, scalar{file: "t", field: "condition", value: expr}, limit)
	require.Empty(t, errorsIn(problems))
	require.NotNil(t, p)
	return p
}

func errorsIn(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

func TestConditions(t *testing.T) {
	cnf := model.CNFView{Name: "upf-1", NFType: "upf", Replicas: 2, MinReplicas: 1, MaxReplicas: 4, Labels: map[string]string{"site": "edge-1"}}
	metrics := map[string]float64{"kpm.prb_utilization": 0.9, "DRB.UEThpDl": 120.5}
	cells := map[string]map[string]float64{"cell-1": {"kpm.prb_utilization": 0.95}, "cell-2": {"kpm.prb_utilization": 0.4}}
	metricIn := &model.Input{Metrics: metrics, CNF: cnf, Node: "gnb-001", Cells: cells}
	eventIn := &model.Input{Event: faultEvent("LINK_DOWN", map[string]any{"site": "edge-1", "count": "7"}), CNF: cnf, Node: "du-edge-1"}
	tests := []struct {
		name    string
		kind    model.RuleKind
		expr    string
		in      *model.Input
		want    bool
		wantErr string
	}{
		{name: "a metric above its threshold", kind: model.MetricRule, expr: "metrics['kpm.prb_utilization'] > 0.85", in: metricIn, want: true},
		{name: "an integer literal compares with a double metric", kind: model.MetricRule, expr: "metrics['DRB.UEThpDl'] > 100", in: metricIn, want: true},
		{name: "cnf fields have the CNFDeployment's names", kind: model.MetricRule,
			expr: "cnf.replicas < cnf.maxReplicas && cnf.nfType == 'upf' && cnf.labels.site == 'edge-1'", in: metricIn, want: true},
		{name: "node is the E2 node id", kind: model.MetricRule, expr: "node.startsWith('gnb-')", in: metricIn, want: true},
		{name: "any cell above a threshold", kind: model.MetricRule, expr: "cell.exists(c, cell[c]['kpm.prb_utilization'] > 0.9)", in: metricIn, want: true},
		{name: "the strings library is there", kind: model.MetricRule, expr: "cnf.name.upperAscii() == 'UPF-1'", in: metricIn, want: true},
		{name: "a missing metric is a runtime error", kind: model.MetricRule, expr: "metrics['kpm.missing'] > 1.0", in: metricIn, wantErr: "no such key"},
		{name: "a metric rule without metrics: no such key", kind: model.MetricRule, expr: "metrics['kpm.prb_utilization'] > 1.0", in: &model.Input{}, wantErr: "no such key"},
		{name: "a guarded missing metric", kind: model.MetricRule, expr: "'kpm.missing' in metrics && metrics['kpm.missing'] > 1.0", in: metricIn, want: false},
		{name: "a nil input is an empty one", kind: model.MetricRule, expr: "node == ''", in: nil, want: true},
		{name: "an event string field", kind: model.EventRule, expr: "event.faultFields.alarmCondition == 'LINK_DOWN'", in: eventIn, want: true},
		{name: "a JSON number (double) compares with an integer literal", kind: model.EventRule,
			expr: "event.commonEventHeader.sequence >= 3", in: &model.Input{Event: tcaEvent("1")}, want: true},
		{name: "a hashMap string read as a number with double()", kind: model.EventRule,
			expr: "double(event.faultFields.alarmAdditionalInformation.count) > 5", in: eventIn, want: true},
		{name: "a hashMap string compared with a number fails at run time", kind: model.EventRule,
			expr: "event.faultFields.alarmAdditionalInformation.count > 5", in: eventIn, wantErr: "no such overload"},
		{name: "a missing event field is a runtime error", kind: model.EventRule, expr: "event.faultFields.nothing == 'x'", in: eventIn, wantErr: "no such key"},
		{name: "has() guards an optional field", kind: model.EventRule, expr: "has(event.faultFields.nothing)", in: eventIn, want: false},
		{name: "a dyn condition that is not a bool at run time", kind: model.EventRule, expr: "event.faultFields.alarmCondition", in: eventIn,
			wantErr: "returned a string, not a bool"},
		{name: "an event rule on an input without event sees an empty map", kind: model.EventRule, expr: "size(event) == 0", in: &model.Input{}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.kind, tt.expr, DefaultCostLimit)
			got, err := p.eval(context.Background(), tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.False(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name, expr string
		kind       model.RuleKind
		want       string
	}{
		{name: "an int condition", kind: model.MetricRule, expr: "1 + 2", want: "must be a bool, this expression is a int"},
		{name: "a string condition", kind: model.EventRule, expr: "'x'", want: "must be a bool, this expression is a string"},
		{name: "event in a metric rule", kind: model.MetricRule, expr: "event.x == 1", want: "undeclared reference to 'event'"},
		{name: "cell in an event rule", kind: model.EventRule, expr: "size(cell) > 1", want: "undeclared reference to 'cell'"},
		{name: "a comprehension nested over the event", kind: model.EventRule, expr: "event.all(a, event.all(b, a == b))", want: "worst-case cost"},
		{name: "a comprehension nested over cells and their metrics", kind: model.MetricRule,
			expr: "cell.exists(c, cell[c].exists(m, metrics.exists(n, cell[c][m] > metrics[n])))", want: "worst-case cost"},
		{name: "no such function", kind: model.EventRule, expr: "event.x.frobnicate()", want: "undeclared reference to 'frobnicate'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, problems := compile(tt.kind, scalar{value: tt.expr}, DefaultCostLimit)
			require.Nil(t, p)
			require.NotEmpty(t, problems)
			require.Contains(t, problems[0].Message, tt.want)
			require.False(t, problems[0].Warning)
		})
	}
}

func TestStringNumberWarning(t *testing.T) {
	tests := []struct {
		name, expr string
		want       string // the fix the warning shows; "" for no warning
	}{
		{name: "a hashMap value is a string", expr: "event.faultFields.alarmAdditionalInformation.count > 5",
			want: "write double(event.faultFields.alarmAdditionalInformation.count) > 5"},
		{name: "the number on the left", expr: "0.5 <= event.measurementFields.additionalFields['load']",
			want: "write 0.5 <= double(event.measurementFields.additionalFields.load)"},
		{name: "== on a string field with a number", expr: "event.faultFields.eventSeverity == 4",
			want: "write double(event.faultFields.eventSeverity) == 4"},
		{name: "a list item's field", expr: "event.measurementFields.cpuUsageArray[0].cpuIdentifier != 1.0",
			want: "write double(event.measurementFields.cpuUsageArray[0].cpuIdentifier) != 1.0"},
		{name: "sequence is an integer: no warning", expr: "event.commonEventHeader.sequence > 5"},
		{name: "alertValue is presented as a double: no warning", expr: "event.thresholdCrossingAlertFields.alertValue > 0.9"},
		{name: "double() is the fix: no warning", expr: "double(event.faultFields.alarmAdditionalInformation.count) > 5"},
		{name: "a string compared with a string: no warning", expr: "event.faultFields.eventSeverity == 'CRITICAL'"},
		{name: "a field the schema does not know: no warning", expr: "event.faultFields.madeUp > 5"},
		{name: "a number field: no warning", expr: "event.measurementFields.measurementInterval > 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, problems := compile(model.EventRule, scalar{file: "r.yaml", field: "spec.condition", value: tt.expr}, DefaultCostLimit)
			require.NotNil(t, p, "%v", problems)
			if tt.want == "" {
				require.Empty(t, problems)
				return
			}
			require.Len(t, problems, 1)
			require.True(t, problems[0].Warning)
			require.Contains(t, problems[0].Message, "is a string in the VES 7.2.1 schema")
			require.True(t, strings.HasSuffix(problems[0].Message, tt.want), problems[0].Message)
		})
	}
	t.Run("the warning names file:line:col of the field", func(t *testing.T) {
		warnings, err := Check("r.yaml", []byte("rules:\n  - name: w\n    eventDomain: fault\n    action: restart\n"+
			"    condition: \"event.faultFields.alarmCondition == 'X' && event.faultFields.alarmAdditionalInformation.count > 5\"\n"))
		require.NoError(t, err)
		require.Len(t, warnings, 1)
		require.Equal(t, Problem{File: "r.yaml", Line: 5, Col: 60, Field: "rules[0].condition", Warning: true,
			Message: warnings[0].Message}, warnings[0])
		require.True(t, strings.HasPrefix(warnings[0].String(), "r.yaml:5:60: warning: rules[0].condition: event.faultFields.alarmAdditionalInformation.count is a string"))
	})
}

func TestRuntimeCostLimit(t *testing.T) {
	// Estimated within the limit for a window of the size the hints assume
	// (1,024 metrics), but the input is far larger: the runtime limit stops it.
	const limit = 10_000
	p := mustCompile(t, model.MetricRule, "metrics.exists(m, metrics[m] > 2.0)", limit)
	small := map[string]float64{"a": 1}
	ok, err := p.eval(context.Background(), &model.Input{Metrics: small})
	require.NoError(t, err)
	require.False(t, ok)

	big := make(map[string]float64, 5000)
	for i := range 5000 {
		big[fmt.Sprintf("m%d", i)] = 1
	}
	ok, err = p.eval(context.Background(), &model.Input{Metrics: big})
	require.Error(t, err)
	require.True(t, IsCostLimit(err), "%v", err)
	require.False(t, ok)
}

// TestCostTrackingOnlyWhereTheInputCanGrowTheCost: an expression whose
// estimated cost does not depend on the inputs' sizes is bounded by the
// load-time check and runs untracked; one that loops or reads a string's
// content is tracked against the runtime limit.
func TestCostTrackingOnlyWhereTheInputCanGrowTheCost(t *testing.T) {
	cases := []struct {
		kind    model.RuleKind
		expr    string
		tracked bool
	}{
		{model.MetricRule, "metrics['kpm.prb_utilization'] > 0.85", false},
		{model.MetricRule, "'kpm.p95_latency_ms' in metrics && metrics['kpm.p95_latency_ms'] > 50.0", false},
		{model.MetricRule, "metrics.exists(m, metrics[m] > 2.0)", true},
		{model.MetricRule, "size(cell) > 2", false},
		{model.EventRule, "event.thresholdCrossingAlertFields.alertValue > 0.9", false},
		{model.EventRule, "event.faultFields.specificProblem.contains('link')", true},
		{model.EventRule, "event.faultFields.alarmCondition == 'LINK_DOWN'", false}, // a comparison stops at the literal's end
	}
	for _, tc := range cases {
		p := mustCompile(t, tc.kind, tc.expr, DefaultCostLimit)
		require.Equal(t, tc.tracked, p.tracked, tc.expr)
	}
}

// lateCancel is a context that reports no error when first asked (so an
// evaluation starts) but whose Done channel is closed: it stands for a
// context cancelled while a condition runs.
type lateCancel struct {
	context.Context
	asked atomic.Bool
	done  chan struct{}
}

func newLateCancel() *lateCancel {
	c := &lateCancel{Context: context.Background(), done: make(chan struct{})}
	close(c.done)
	return c
}

func (c *lateCancel) Done() <-chan struct{} { return c.done }

func (c *lateCancel) Err() error {
	if c.asked.Swap(true) {
		return context.Canceled
	}
	return nil
}

func TestContextCancellation(t *testing.T) {
	loop := mustCompile(t, model.MetricRule, "metrics.exists(m, metrics[m] > 2.0)", DefaultCostLimit)
	flat := mustCompile(t, model.MetricRule, "metrics['a'] > 2.0", DefaultCostLimit)
	in := &model.Input{Metrics: map[string]float64{"a": 1}}
	many := make(map[string]float64, 1000)
	for i := range 1000 {
		many[fmt.Sprintf("m%d", i)] = 1
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	tests := []struct {
		name string
		p    *program
		ctx  context.Context
		in   *model.Input
		want error
	}{
		{name: "cancelled before a loop", p: loop, ctx: cancelled, in: in, want: context.Canceled},
		{name: "cancelled before a condition without loops", p: flat, ctx: cancelled, in: in, want: context.Canceled},
		{name: "past its deadline", p: flat, ctx: expired, in: in, want: context.DeadlineExceeded},
		{name: "cancelled while a loop runs", p: loop, ctx: newLateCancel(), in: &model.Input{Metrics: many}, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := tt.p.eval(tt.ctx, tt.in)
			require.ErrorIs(t, err, tt.want)
			require.False(t, ok)
		})
	}
}

func TestObserve(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "r.yaml"), `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata: {name: prb}
spec: {condition: "metrics['kpm.prb_utilization'] > 0.85", action: scale_out}
`)
	type call struct {
		rule string
		err  bool
	}
	var mu sync.Mutex
	var calls []call
	rules, err := Load(dir, Options{Observe: func(rule string, took time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		require.GreaterOrEqual(t, took, time.Duration(0))
		calls = append(calls, call{rule, err != nil})
	}})
	require.NoError(t, err)
	_, err = rules[0].Condition(context.Background(), &model.Input{Metrics: map[string]float64{"kpm.prb_utilization": 0.9}})
	require.NoError(t, err)
	_, err = rules[0].Condition(context.Background(), &model.Input{})
	require.Error(t, err)
	require.ErrorContains(t, err, `evaluate rule "prb"`)
	require.Equal(t, []call{{"prb", false}, {"prb", true}}, calls)
}

func TestConditionsAreConcurrentAndDoNotMutateTheInput(t *testing.T) {
	p := mustCompile(t, model.EventRule, "event.thresholdCrossingAlertFields.alertValue > 0.9 && event.thresholdCrossingAlertFields.alertDescription.contains('PRB')", DefaultCostLimit)
	ev := tcaEvent("0.93")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := p.eval(context.Background(), &model.Input{Event: ev})
			if err == nil && !ok {
				err = errors.New("want true")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, tcaEvent("0.93"), ev, "the alertValue conversion copies, never writes the input")
}

func TestFirstMetric(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"metrics['kpm.prb_utilization'] > 0.85", "kpm.prb_utilization"},
		{"metrics['b'] > 1.0 && metrics['a'] > 1.0", "b"},
		{"cnf.replicas < 3 || metrics['DRB.UEThpDl'] > 1.0", "DRB.UEThpDl"},
		{"metrics.ue_count > 400", "ue_count"},
		{"metrics.exists(m, metrics[m] > 1.0)", ""},
		{"node == 'x'", ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			require.Equal(t, tt.want, mustCompile(t, model.MetricRule, tt.expr, DefaultCostLimit).metric)
		})
	}
}

// Positions inside a condition for each YAML scalar style.
func TestErrorPositions(t *testing.T) {
	const head = "apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata: {name: m}\nspec:\n  action: restart\n"
	tests := []struct {
		name      string
		condition string // the YAML of the condition field, from its line on
		line, col int    // of the undeclared `bogus`
	}{
		{name: "plain", condition: "  condition: metrics['a'] > bogus\n", line: 6, col: 29},
		{name: "double-quoted", condition: "  condition: \"metrics['a'] > bogus\"\n", line: 6, col: 30},
		{name: "double-quoted with escapes before", condition: "  condition: \"metrics[\\\"a\\\"] > bogus\"\n", line: 6, col: 32},
		{name: "single-quoted with '' before", condition: "  condition: 'metrics[''a''] > bogus'\n", line: 6, col: 32},
		{name: "literal block on its second line", condition: "  condition: |\n    metrics['a'] > 1.0 &&\n      bogus\n", line: 8, col: 7},
		{name: "folded block", condition: "  condition: >-\n    metrics['a'] > 1.0 &&\n    bogus\n", line: 8, col: 5},
		{name: "plain over two lines", condition: "  condition: metrics['a'] > 1.0 &&\n    bogus\n", line: 7, col: 5},
		{name: "the end of a plain value stays on its line", condition: "  condition: metrics['a'] > bogus\n  priority: 1\n", line: 6, col: 29},
		{name: "flow mapping", condition: "  {action: restart, condition: \"bogus\"}\n", line: 5, col: 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := head + tt.condition
			if strings.HasPrefix(tt.condition, "  {") { // the whole spec in flow style
				doc = strings.TrimSuffix(head, "  action: restart\n") + tt.condition
			}
			_, err := Check("m.yaml", []byte(doc))
			var list ProblemList
			require.True(t, errors.As(err, &list), "%v", err)
			require.Len(t, list, 1)
			require.Contains(t, list[0].Message, "undeclared reference to 'bogus'")
			require.Equal(t, [2]int{tt.line, tt.col}, [2]int{list[0].Line, list[0].Col}, "%s\n%s", doc, list[0])
		})
	}
}

func TestEndOfExpressionPosition(t *testing.T) {
	// A syntax error at the end of a plain value points right after it, not
	// at the next line.
	_, err := Check("m.yaml", []byte("apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata: {name: m}\nspec:\n  condition: metrics[\n  action: restart\n"))
	var list ProblemList
	require.True(t, errors.As(err, &list), "%v", err)
	require.Len(t, list, 1)
	require.Equal(t, [2]int{5, 22}, [2]int{list[0].Line, list[0].Col}, "%s", list[0])
}
