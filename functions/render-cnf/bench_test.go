package rendercnf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	rendercnf "github.com/nephoran/nephoran/functions/render-cnf"
	"github.com/nephoran/nephoran/internal/testenv"
)

// largeResourceList is a package of 100 UPFs with their rendered objects
// (1,000 items), as a re-render of a large package sees it.
func largeResourceList(b *testing.B) []byte {
	b.Helper()
	cnf, err := os.ReadFile(filepath.Join(testenv.RepoRoot(b), "blueprints", "upf", "cnf.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var items fn.KubeObjects
	for i := range 100 {
		o, err := fn.ParseKubeObject([]byte(strings.Replace(string(cnf), "name: upf\n", fmt.Sprintf("name: upf-%03d\n", i), 1)))
		if err != nil {
			b.Fatal(err)
		}
		if err := o.SetPathAnnotation(fmt.Sprintf("upf-%03d.yaml", i)); err != nil {
			b.Fatal(err)
		}
		items = append(items, o)
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: fn.NewEmptyKubeObject()}
	if ok, err := rendercnf.Process(rl); !ok || err != nil {
		b.Fatalf("render: %v %v", err, rl.Results)
	}
	rl.Results = nil
	out, err := rl.ToYAML()
	if err != nil {
		b.Fatal(err)
	}
	if n := len(rl.Items); n != 1001 {
		b.Fatalf("want 1,000 objects and the kustomization, got %d", n)
	}
	return out
}

func buildFunction(b *testing.B, pkg string) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = testenv.RepoRoot(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v: %s", pkg, err, out)
	}
	return bin
}

// BenchmarkBinaryOn1000Objects runs the render-cnf binary and a no-op SDK
// function on the same 1,000-object ResourceList, side by side in each
// iteration, and reports render-cnf/noop. Target: <= 1.2.
func BenchmarkBinaryOn1000Objects(b *testing.B) {
	input := largeResourceList(b)
	render := buildFunction(b, "./cmd/render-cnf")
	noop := buildFunction(b, "./internal/noopfn")
	run := func(bin string) time.Duration {
		cmd := exec.Command(bin)
		cmd.Stdin = bytes.NewReader(input)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v: %s", bin, err, stderr.String())
		}
		return time.Since(start)
	}
	var renderTime, noopTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		renderTime += run(render)
		noopTime += run(noop)
	}
	n := float64(b.N)
	b.ReportMetric(float64(renderTime.Microseconds())/n/1000, "render-cnf-ms/op")
	b.ReportMetric(float64(noopTime.Microseconds())/n/1000, "noop-ms/op")
	b.ReportMetric(float64(renderTime)/float64(noopTime), "render/noop")
}
