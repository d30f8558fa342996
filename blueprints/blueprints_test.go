// Package blueprints_test checks every blueprint with the tools users run:
// nephoran render, the real kpt CLI with the function binaries, kustomize,
// and server-side dry-run on a real kube-apiserver.
package blueprints_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
)

// blueprints lists the NF blueprint packages: directories holding a Kptfile
// and the cnf.yaml that render-cnf renders. The watcher's own deployment
// package (nephoran-watcher, no cnf.yaml) is tested in watcher_test.go.
func blueprints(t *testing.T) []string {
	t.Helper()
	var dirs []string
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		_, kf := os.Stat(filepath.Join(e.Name(), pipeline.KptfileName))
		_, cnf := os.Stat(filepath.Join(e.Name(), "cnf.yaml"))
		if kf == nil && cnf == nil {
			dirs = append(dirs, e.Name())
		}
	}
	require.ElementsMatch(t, []string{"amf", "cu-cp", "cu-up", "du", "smf", "upf"}, dirs)
	return dirs
}

func nephoranRender(t *testing.T, dir string) {
	t.Helper()
	pkg, err := pipeline.Load(dir)
	require.NoError(t, err)
	_, err = pkg.Render()
	require.NoError(t, err)
	require.NoError(t, pkg.Write())
}

func TestBlueprintsAreRenderedAsCommitted(t *testing.T) {
	for _, bp := range blueprints(t) {
		t.Run(bp, func(t *testing.T) {
			committed := testenv.Files(t, bp)
			delete(committed, "blueprints_test.go")
			dir := testenv.CopyDir(t, bp)
			nephoranRender(t, dir)
			require.Equal(t, committed, testenv.Files(t, dir), "nephoran render changed the committed blueprint: run `make render`")
			nephoranRender(t, dir)
			require.Equal(t, committed, testenv.Files(t, dir), "a second render changed something")
		})
	}
}

var imageLine = regexp.MustCompile(`(?m)^(\s*- )image: ghcr\.io/nephoran/([a-z-]+):\S+$`)

// TestKptRenderMatchesNephoranRender renders each blueprint with the real kpt
// CLI, its pipeline pointed at the function binaries, and expects exactly the
// committed files (nephoran render's output), twice in a row.
func TestKptRenderMatchesNephoranRender(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	bin := filepath.Dir(testenv.Tool(t, "render-cnf"))
	testenv.Tool(t, "validate-cnf")
	for _, bp := range blueprints(t) {
		t.Run(bp, func(t *testing.T) {
			committed := testenv.Files(t, bp)
			dir := testenv.CopyDir(t, bp)
			kf := filepath.Join(dir, pipeline.KptfileName)
			b, err := os.ReadFile(kf)
			require.NoError(t, err)
			execKptfile := imageLine.ReplaceAllString(string(b), "${1}exec: "+bin+"/$2")
			require.NotEqual(t, string(b), execKptfile, "the Kptfile pipeline names no ghcr.io/nephoran image")
			require.NoError(t, os.WriteFile(kf, []byte(execKptfile), 0o644))

			for run := 1; run <= 2; run++ {
				out, err := exec.Command(kpt, "fn", "render", "--allow-exec", dir).CombinedOutput()
				require.NoError(t, err, "kpt fn render (run %d): %s", run, out)
				got := testenv.Files(t, dir)
				delete(got, pipeline.KptfileName)
				want := maps(committed)
				delete(want, pipeline.KptfileName)
				require.Equal(t, want, got, "kpt fn render (run %d) differs from nephoran render", run)
			}
		})
	}
}

func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestKustomizeBuildsEveryBlueprint(t *testing.T) {
	for _, bp := range blueprints(t) {
		t.Run(bp, func(t *testing.T) {
			kinds := map[string]int{}
			for _, o := range testenv.KustomizeBuild(t, bp) {
				kinds[o.GetKind()]++
				require.NotEqual(t, "nephoran.com/v1", o.GetAPIVersion(), "local-config reached the build")
				require.Equal(t, "render-cnf", o.GetAnnotations()["nephoran.com/generated-by"])
			}
			require.Equal(t, 1, kinds["Deployment"]+kinds["StatefulSet"], "one workload")
			for _, k := range []string{"Service", "ServiceAccount", "ConfigMap", "PodDisruptionBudget", "NetworkAttachmentDefinition", "ServiceMonitor"} {
				require.Positive(t, kinds[k], "kind %s missing from the build", k)
			}
			require.Zero(t, kinds["Kptfile"]+kinds["CNFDeployment"]+kinds["Kustomization"])
		})
	}
}

// TestBlueprintsPassServerSideDryRun applies every rendered blueprint with
// server-side dry-run to a real kube-apiserver carrying the upstream CRDs,
// and shows that the same API server refuses a broken copy.
func TestBlueprintsPassServerSideDryRun(t *testing.T) {
	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	ctx := context.Background()
	for _, bp := range blueprints(t) {
		t.Run(bp, func(t *testing.T) {
			require.NoError(t, testenv.ServerDryRun(ctx, cfg, testenv.KustomizeBuild(t, bp)))
		})
	}
	t.Run("a negative replica count is refused", func(t *testing.T) {
		objs := testenv.KustomizeBuild(t, "upf")
		for _, o := range objs {
			if o.GetKind() == "Deployment" {
				require.NoError(t, unstructured.SetNestedField(o.Object, int64(-1), "spec", "replicas"))
			}
		}
		err := testenv.ServerDryRun(ctx, cfg, objs)
		require.Error(t, err)
		require.Contains(t, err.Error(), "Deployment")
	})
}
