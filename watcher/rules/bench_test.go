package rules

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/cel-go/cel"

	"github.com/nephoran/nephoran/watcher/model"
)

// BenchmarkEvaluate measures one metric condition through the model.Rule
// Condition closure (activation, context, cost tracking, the Observe hook)
// beside a bare cel-go Program.Eval of the same expression over a plain
// map activation, so that one run shows the overhead of the wrapping
// (cel.Eval+CostLimit shows how much of it the cost limit alone is):
//
//	go test -run '^$' -bench Evaluate ./watcher/rules
func BenchmarkEvaluate(b *testing.B) {
	const expr = "metrics['kpm.prb_utilization'] > 0.85"
	metrics := map[string]float64{"kpm.prb_utilization": 0.9, "kpm.ue_count": 450, "DRB.UEThpDl": 120.5}

	b.Run("rule.Condition", func(b *testing.B) {
		rules, err := Load(filepath.Join("testdata", "seed", "upf-prb-scaling.yaml"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		cond := rules[0].Condition
		in := &model.Input{Metrics: metrics, Node: "gnb-001", CNF: model.CNFView{Name: "upf-1", Replicas: 2, MaxReplicas: 10}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := cond(ctx, in); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})

	bare := func(opts ...cel.ProgramOption) func(b *testing.B) {
		return func(b *testing.B) {
			env, err := cel.NewEnv(cel.Variable("metrics", cel.MapType(cel.StringType, cel.DoubleType)))
			if err != nil {
				b.Fatal(err)
			}
			ast, iss := env.Compile(expr)
			if iss.Err() != nil {
				b.Fatal(iss.Err())
			}
			prg, err := env.Program(ast, opts...)
			if err != nil {
				b.Fatal(err)
			}
			act := map[string]any{"metrics": metrics}
			b.ReportAllocs()
			for b.Loop() {
				if out, _, err := prg.Eval(act); err != nil || out.Value() != true {
					b.Fatal(out, err)
				}
			}
		}
	}
	b.Run("cel.Eval", bare())
	// The same with the runtime cost limit alone: most of the difference
	// between the two above is cel-go's cost tracking.
	b.Run("cel.Eval+CostLimit", bare(cel.CostLimit(DefaultCostLimit)))
}
