package pipeline_test

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/nephoran/nephoran/pipeline"
)

// BenchmarkRenderInMemory runs the UPF blueprint's pipeline (render-cnf,
// then validate-cnf) on a package already in memory: the in-process cost
// without disk I/O. Target: < 5 ms.
func BenchmarkRenderInMemory(b *testing.B) {
	pkg, err := pipeline.Load("../blueprints/upf")
	if err != nil {
		b.Fatal(err)
	}
	items := pkg.Items
	for b.Loop() {
		pkg.Items = make(fn.KubeObjects, len(items))
		for i, o := range items {
			pkg.Items[i] = o.Copy()
		}
		if _, err := pkg.Render(); err != nil {
			b.Fatal(err)
		}
	}
}
