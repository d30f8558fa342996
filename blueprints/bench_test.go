package blueprints_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
)

// BenchmarkRenderUPF renders and validates the UPF blueprint (read, pipeline,
// write) in process and with the real kpt CLI running the function binaries,
// side by side in each iteration, and reports the ratio kpt/nephoran. Target:
// in-process < 5 ms, ratio >= 50.
func BenchmarkRenderUPF(b *testing.B) {
	kpt := testenv.Tool(b, "kpt")
	bin := filepath.Dir(testenv.Tool(b, "render-cnf"))
	testenv.Tool(b, "validate-cnf")
	inProc := testenv.CopyDir(b, "upf")
	withKpt := testenv.CopyDir(b, "upf")
	kf := filepath.Join(withKpt, pipeline.KptfileName)
	k, err := os.ReadFile(kf)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(kf, []byte(imageLine.ReplaceAllString(string(k), "${1}exec: "+bin+"/$2")), 0o644); err != nil {
		b.Fatal(err)
	}

	var nephoranTime, kptTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		pkg, err := pipeline.Load(inProc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pkg.Render(); err != nil {
			b.Fatal(err)
		}
		if err := pkg.Write(); err != nil {
			b.Fatal(err)
		}
		nephoranTime += time.Since(start)

		start = time.Now()
		if out, err := exec.Command(kpt, "fn", "render", "--allow-exec", withKpt).CombinedOutput(); err != nil {
			b.Fatalf("kpt fn render: %v: %s", err, out)
		}
		kptTime += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(nephoranTime.Microseconds())/n/1000, "nephoran-ms/op")
	b.ReportMetric(float64(kptTime.Microseconds())/n/1000, "kpt-exec-ms/op")
	b.ReportMetric(float64(kptTime)/float64(nephoranTime), "kpt/nephoran")
}
