package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/nephoran/nephoran/watcher/model"
)

// interruptCheckFrequency is how many comprehension steps pass between two
// checks of the evaluation's context.
const interruptCheckFrequency = 100

// program is one compiled CEL expression; it is safe for concurrent use.
type program struct {
	prg cel.Program
	// metric is the first metrics['...'] key the expression names (in
	// source order), or "".
	metric string
	// loops is set when the expression has a comprehension: the only
	// place cel-go checks an evaluation's context.
	loops bool
	// tracked is set when evaluations count their cost against the
	// runtime limit (the cost may grow with the input).
	tracked bool
}

// compile parses, type-checks and plans one condition of a rule of the
// given kind. Errors refuse the rule; warnings (Problem.Warning) do not.
// It never panics: cel-go is trusted, but a rule file is user input.
func compile(kind model.RuleKind, s scalar, limit uint64) (p *program, problems []Problem) {
	defer func() {
		if r := recover(); r != nil {
			p, problems = nil, []Problem{s.problem(0, fmt.Sprintf("internal error compiling the expression: %v", r), false)}
		}
	}()
	env, err := envFor(kind)
	if err != nil {
		return nil, []Problem{s.problem(0, err.Error(), false)}
	}
	ast, iss := env.Compile(s.value)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			problems = append(problems, s.problem(celOffset(s.value, e.Location.Line(), e.Location.Column()),
				"CEL: "+e.Message, false))
		}
		return nil, problems
	}
	native := ast.NativeRep()
	if t := ast.OutputType(); t.Kind() != types.BoolKind && t.Kind() != types.DynKind {
		return nil, []Problem{s.problem(0, fmt.Sprintf("a condition must be a bool, this expression is a %s", cel.FormatCELType(t)), false)}
	}
	est, err := env.EstimateCost(ast, sizeHints{})
	if err != nil {
		return nil, []Problem{s.problem(0, fmt.Sprintf("estimate the cost: %v", err), false)}
	}
	if est.Max > limit {
		return nil, []Problem{s.problem(firstComprehension(native),
			fmt.Sprintf("worst-case cost %s exceeds the limit %d: a comprehension (all, exists, map, filter) over the input, or one nested in another, is unbounded; test fields directly",
				costString(est.Max), limit), false)}
	}
	opts := []cel.ProgramOption{cel.InterruptCheckFrequency(interruptCheckFrequency), cel.EvalOptions(cel.OptOptimize)}
	tracked := false
	// The runtime limit guards what the estimate cannot bound: inputs
	// larger than the size hints. An expression whose estimate does not grow
	// with the inputs (no loop, no size-dependent call) is bounded by the
	// estimate already checked above, and runs without the tracking.
	if larger, err := env.EstimateCost(ast, largerInputs{}); err != nil || larger.Max != est.Max {
		opts, tracked = append(opts, cel.CostLimit(limit)), true
	}
	prg, err := env.Program(ast, opts...)
	if err != nil {
		return nil, []Problem{s.problem(0, fmt.Sprintf("plan the expression: %v", err), false)}
	}
	if kind == model.EventRule {
		problems = append(problems, stringNumberWarnings(native, s)...)
	}
	return &program{prg: prg, metric: firstMetric(native), loops: hasComprehension(native), tracked: tracked}, problems
}

func costString(c uint64) string {
	if c == ^uint64(0) {
		return "unbounded"
	}
	return strconv.FormatUint(c, 10)
}

// eval evaluates the program over an input. Any failure (no such key, no
// such overload, cost limit, a cancelled context, a non-bool result) is an
// error; it never panics.
func (p *program) eval(ctx context.Context, in *model.Input) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("internal error: %v", r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if in == nil {
		in = &model.Input{}
	}
	// cel-go checks the context only between comprehension steps, and
	// ContextEval costs a context.WithCancel per call; an expression without
	// a loop runs in bounded time, so the check above is all it needs.
	var out ref.Val
	if p.loops {
		out, _, err = p.prg.ContextEval(ctx, newActivation(in))
	} else {
		out, _, err = p.prg.Eval(newActivation(in))
	}
	if err != nil {
		return false, err
	}
	return boolResult(out)
}

// hasComprehension reports whether an expression loops (all, exists,
// exists_one, map, filter).
func hasComprehension(a *celast.AST) bool {
	found := false
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// condition wraps eval as model.Rule.Condition: errors name the rule, and
// observe (when set) sees every evaluation.
func (p *program) condition(rule string, observe func(string, time.Duration, error)) func(context.Context, *model.Input) (bool, error) {
	return func(ctx context.Context, in *model.Input) (bool, error) {
		start := time.Now()
		ok, err := p.eval(ctx, in)
		if err != nil {
			err = fmt.Errorf("evaluate rule %q: %w", rule, err)
		}
		if observe != nil {
			observe(rule, time.Since(start), err)
		}
		return ok, err
	}
}

// boolResult reads a condition's result; a dyn-typed condition may turn
// out to be something else at run time.
func boolResult(v ref.Val) (bool, error) {
	if b, ok := v.(types.Bool); ok {
		return bool(b), nil
	}
	return false, fmt.Errorf("the condition returned a %s, not a bool", v.Type().TypeName())
}

// IsCostLimit reports whether an evaluation error (of a Condition or
// Clear) is the runtime cost limit's, so the caller can count it apart.
func IsCostLimit(err error) bool {
	var c interpreter.EvalCancelledError
	return errors.As(err, &c) && c.Cause == interpreter.CostLimitExceeded
}

// celOffset turns a CEL location (1-based line, 0-based column in code
// points) into a code point offset in the expression.
func celOffset(expr string, line, col int) int {
	if line < 1 || col < 0 {
		return 0
	}
	off := 0
	for i, l := range strings.SplitAfter(expr, "\n") {
		if i == line-1 {
			return off + col
		}
		off += len([]rune(l))
	}
	return off
}

// offsetOf is the code point offset where an expression node starts.
func offsetOf(a *celast.AST, id int64) int {
	if r, ok := a.SourceInfo().GetOffsetRange(id); ok {
		return int(r.Start)
	}
	return 0
}

// startOffset is where the source text of an expression starts: the least
// offset in its subtree (a select or call node itself sits at its operator).
func startOffset(a *celast.AST, e celast.Expr) int {
	best := -1
	celast.PreOrderVisit(e, celast.NewExprVisitor(func(e celast.Expr) {
		if r, ok := a.SourceInfo().GetOffsetRange(e.ID()); ok && (best < 0 || int(r.Start) < best) {
			best = int(r.Start)
		}
	}))
	return max(best, 0)
}

// firstComprehension is where the range of the first comprehension (a
// macro such as all or exists) starts, where an unbounded cost usually
// comes from.
func firstComprehension(a *celast.AST) int {
	best := -1
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.ComprehensionKind {
			if o := startOffset(a, e.AsComprehension().IterRange()); best < 0 || o < best {
				best = o
			}
		}
	}))
	return max(best, 0)
}

// firstMetric is the first metrics key an expression names, by source
// position: metrics['kpm.prb_utilization'] or metrics.x.
func firstMetric(a *celast.AST) string {
	best, key := -1, ""
	consider := func(e celast.Expr, k string) {
		if o := offsetOf(a, e.ID()); best < 0 || o < best {
			best, key = o, k
		}
	}
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.CallKind:
			c := e.AsCall()
			if (c.FunctionName() != operators.Index && c.FunctionName() != operators.OptIndex) || len(c.Args()) != 2 {
				return
			}
			if isIdent(c.Args()[0], VarMetrics) && c.Args()[1].Kind() == celast.LiteralKind {
				if s, ok := c.Args()[1].AsLiteral().(types.String); ok {
					consider(c.Args()[0], string(s))
				}
			}
		case celast.SelectKind:
			if sel := e.AsSelect(); isIdent(sel.Operand(), VarMetrics) {
				consider(sel.Operand(), sel.FieldName())
			}
		}
	}))
	return key
}

func isIdent(e celast.Expr, name string) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == name
}

// comparisons are the operators stringNumberWarnings looks at.
var comparisons = map[string]string{
	operators.Less: "<", operators.LessEquals: "<=", operators.Greater: ">",
	operators.GreaterEquals: ">=", operators.Equals: "==", operators.NotEquals: "!=",
}

// convertedPaths are event fields the activation already presents as
// numbers (see eventView), so comparing them with a number is right.
var convertedPaths = []string{"thresholdCrossingAlertFields.alertValue"}

// stringNumberWarnings warns about every comparison of an event field the
// VES schema types as a string with a number literal: VES sends such values
// as strings ("0.93"), a string never equals a number and < > on them fail
// at run time; double(event.x) reads the number.
func stringNumberWarnings(a *celast.AST, s scalar) []Problem {
	table, err := vesTypes()
	if err != nil {
		return []Problem{s.problem(0, err.Error(), true)}
	}
	var out []Problem
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.CallKind {
			return
		}
		c := e.AsCall()
		op, ok := comparisons[c.FunctionName()]
		if !ok || len(c.Args()) != 2 {
			return
		}
		for i := range 2 {
			path, other := c.Args()[i], c.Args()[1-i]
			lit, isNum := numberLiteral(other)
			if !isNum {
				continue
			}
			segs, root, ok := eventPath(path)
			if !ok || slices.Contains(convertedPaths, strings.Join(segs, ".")) {
				continue
			}
			if t, known := vesType(table, segs); !known || t != "string" {
				continue
			}
			text := pathText(segs)
			fix := "double(" + text + ") " + op + " " + lit
			if i == 1 {
				fix = lit + " " + op + " double(" + text + ")"
			}
			out = append(out, s.problem(offsetOf(a, root.ID()), fmt.Sprintf(
				"%s is a string in the VES 7.2.1 schema: compared with the number %s it never matches (== is false, < and > fail at run time); write %s",
				text, lit, fix), true))
		}
	}))
	return out
}

// numberLiteral returns the text of an int, uint or double literal.
func numberLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	switch v := e.AsLiteral().(type) {
	case types.Int:
		return strconv.FormatInt(int64(v), 10), true
	case types.Uint:
		return strconv.FormatUint(uint64(v), 10) + "u", true
	case types.Double:
		s := strconv.FormatFloat(float64(v), 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		return s, true
	}
	return "", false
}

// indexSeg starts a path segment that is a list index ("\x000" is [0]).
const indexSeg = "\x00"

// eventPath reads event.a.b['c'][0] as its segments (a, b, c, indexSeg+"0")
// and the event identifier node.
func eventPath(e celast.Expr) (segs []string, root celast.Expr, ok bool) {
	for {
		switch e.Kind() {
		case celast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() {
				return nil, nil, false
			}
			segs = append(segs, sel.FieldName())
			e = sel.Operand()
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() != operators.Index || len(c.Args()) != 2 || c.Args()[1].Kind() != celast.LiteralKind {
				return nil, nil, false
			}
			switch k := c.Args()[1].AsLiteral().(type) {
			case types.String:
				segs = append(segs, string(k))
			case types.Int:
				segs = append(segs, indexSeg+strconv.FormatInt(int64(k), 10))
			case types.Uint:
				segs = append(segs, indexSeg+strconv.FormatUint(uint64(k), 10))
			default:
				return nil, nil, false
			}
			e = c.Args()[0]
		case celast.IdentKind:
			if e.AsIdent() != VarEvent || len(segs) == 0 {
				return nil, nil, false
			}
			slices.Reverse(segs)
			return segs, e, true
		default:
			return nil, nil, false
		}
	}
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pathText writes event path segments back as CEL.
func pathText(segs []string) string {
	var b strings.Builder
	b.WriteString(VarEvent)
	for _, s := range segs {
		switch {
		case strings.HasPrefix(s, indexSeg):
			b.WriteString("[" + s[len(indexSeg):] + "]")
		case identifier.MatchString(s):
			b.WriteString("." + s)
		case !strings.ContainsAny(s, `'\`):
			b.WriteString("['" + s + "']")
		default:
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}
