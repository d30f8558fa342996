package pipeline_test

import (
	"github.com/nephoran/nephoran/internal/testenv"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/pipeline"
)

const blueprint = "../blueprints/upf"

// renderedFiles are the files render-cnf writes for the UPF blueprint.
var renderedFiles = []string{
	"configmap.yaml", "deployment.yaml", "kustomization.yaml", "networkattachmentdefinition.yaml",
	"poddisruptionbudget.yaml", "service.yaml", "serviceaccount.yaml", "servicemonitor.yaml",
}

// sourceCopy copies the blueprint's sources (Kptfile and cnf.yaml, not what
// a render wrote) to a temp dir.
func sourceCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{pipeline.KptfileName, "cnf.yaml"} {
		b, err := os.ReadFile(filepath.Join(blueprint, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	return dir
}

func names(files map[string]string) []string {
	var out []string
	for f := range files {
		out = append(out, f)
	}
	return out
}

// render does what `nephoran render` does: load, run the pipeline, write
// only on success.
func render(t *testing.T, dir string) ([]pipeline.Step, error) {
	t.Helper()
	p, err := pipeline.Load(dir)
	require.NoError(t, err)
	steps, err := p.Render()
	if err != nil {
		return steps, err
	}
	return steps, p.Write()
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

func TestRenderWritesTheRenderedFilesAndKustomization(t *testing.T) {
	dir := sourceCopy(t)
	before := testenv.Files(t, dir)

	steps, err := render(t, dir)
	require.NoError(t, err)
	require.Len(t, steps, 2)
	require.Equal(t, pipeline.Image("render-cnf"), steps[0].Function)
	require.Equal(t, pipeline.Image("validate-cnf"), steps[1].Function)
	for _, s := range steps {
		require.False(t, s.Failed)
		require.Empty(t, s.Results)
	}

	after := testenv.Files(t, dir)
	require.ElementsMatch(t, append([]string{"Kptfile", "cnf.yaml"}, renderedFiles...), names(after))
	require.Equal(t, before["Kptfile"], after["Kptfile"])
	require.Equal(t, before["cnf.yaml"], after["cnf.yaml"], "cnf.yaml, comments included, is left as it was")
	for _, f := range renderedFiles {
		require.NotContains(t, after[f], "internal.config.kubernetes.io", "%s: reader annotations are not written", f)
	}
	require.Contains(t, after["deployment.yaml"], "replicas: 2")
	require.Contains(t, after["kustomization.yaml"], "kind: Kustomization")
	for _, f := range renderedFiles {
		if f != "kustomization.yaml" {
			require.Contains(t, after["kustomization.yaml"], "- "+f)
		}
	}
	require.NotContains(t, after["kustomization.yaml"], "cnf.yaml")
	require.NotContains(t, after["kustomization.yaml"], "Kptfile")
}

func TestSecondRenderChangesNoByte(t *testing.T) {
	dir := sourceCopy(t)
	_, err := render(t, dir)
	require.NoError(t, err)
	first := testenv.Files(t, dir)

	_, err = render(t, dir)
	require.NoError(t, err)
	require.Equal(t, first, testenv.Files(t, dir))
}

func TestImageOutsideNephoranIsAnError(t *testing.T) {
	dir := sourceCopy(t)
	editFile(t, filepath.Join(dir, "Kptfile"), "ghcr.io/nephoran/validate-cnf:v0.1.0", "ghcr.io/kptdev/krm-functions-catalog/kubeval:v0.4")
	before := testenv.Files(t, dir)

	_, err := render(t, dir)
	require.Error(t, err)
	require.Contains(t, err.Error(), "ghcr.io/kptdev/krm-functions-catalog/kubeval:v0.4")
	require.Contains(t, err.Error(), "kpt fn render")
	require.Equal(t, before, testenv.Files(t, dir), "nothing is written")
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		image   string
		warning string
		err     string
	}{
		{name: "this binary's version", image: "ghcr.io/nephoran/render-cnf:" + pipeline.Version},
		{name: "a digest", image: "ghcr.io/nephoran/apply-intent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{name: "no tag", image: "ghcr.io/nephoran/validate-cnf"},
		{name: "another tag is a warning", image: "ghcr.io/nephoran/render-cnf:v0.0.9", warning: "v0.0.9"},
		{name: "an unknown function of ours", image: "ghcr.io/nephoran/set-namespace:v0.1.0", err: "kpt fn render"},
		{name: "another registry", image: "docker.io/nephoran/render-cnf:v0.1.0", err: "kpt fn render"},
		{name: "a prefix that only looks like ours", image: "ghcr.io/nephoran-fork/render-cnf:v0.1.0", err: "kpt fn render"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warning, err := pipeline.Resolve(tt.image)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.Nil(t, p)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, p)
			if tt.warning == "" {
				require.Empty(t, warning)
			} else {
				require.Contains(t, warning, tt.warning)
			}
		})
	}
}

func TestDifferentTagIsAWarning(t *testing.T) {
	dir := sourceCopy(t)
	editFile(t, filepath.Join(dir, "Kptfile"), "render-cnf:v0.1.0", "render-cnf:v0.0.9")

	steps, err := render(t, dir)
	require.NoError(t, err)
	require.NotEmpty(t, steps[0].Results)
	w := steps[0].Results[0]
	require.Equal(t, fn.Warning, w.Severity)
	require.Contains(t, w.Message, "v0.0.9")
	require.Contains(t, w.Message, pipeline.Version)
	require.Contains(t, testenv.Files(t, dir), "deployment.yaml", "a warning does not stop the render")
}

func TestFailureLeavesEveryFileAsItWas(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		failed  string
	}{
		{
			name: "render-cnf rejects an unpinned image",
			breakIt: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "cnf.yaml"), "upf:1.4.2", "upf:latest")
			},
			failed: pipeline.Image("render-cnf"),
		},
		{
			// render-cnf succeeds in memory (replicas 3); the validator then
			// rejects a user's privileged Deployment, so nothing is written.
			name: "validate-cnf rejects a user object after a successful mutator",
			breakIt: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "cnf.yaml"), "replicas: 2", "replicas: 3")
				require.NoError(t, os.WriteFile(filepath.Join(dir, "debug.yaml"), []byte(`apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: core
spec:
  hostNetwork: true
  containers:
    - name: debug
      image: busybox:1.36
`), 0o644))
			},
			failed: pipeline.Image("validate-cnf"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := sourceCopy(t)
			_, err := render(t, dir)
			require.NoError(t, err)
			tt.breakIt(t, dir)
			before := testenv.Files(t, dir)

			steps, err := render(t, dir)
			require.ErrorIs(t, err, pipeline.ErrFailed)
			last := steps[len(steps)-1]
			require.Equal(t, tt.failed, last.Function)
			require.True(t, last.Failed)
			require.NotEmpty(t, last.Results)
			require.Equal(t, before, testenv.Files(t, dir))
		})
	}
}

func TestExecFunctionIsRefused(t *testing.T) {
	dir := sourceCopy(t)
	editFile(t, filepath.Join(dir, "Kptfile"), "- image: ghcr.io/nephoran/render-cnf:v0.1.0", "- exec: ./bin/render-cnf")
	before := testenv.Files(t, dir)

	_, err := render(t, dir)
	require.Error(t, err)
	require.Contains(t, err.Error(), "./bin/render-cnf")
	require.Contains(t, err.Error(), "kpt fn render --allow-exec")
	require.Equal(t, before, testenv.Files(t, dir))
}

func TestRemovingTheCNFPrunesWhatWasRendered(t *testing.T) {
	dir := sourceCopy(t)
	_, err := render(t, dir)
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "cnf.yaml")))

	_, err = render(t, dir)
	require.NoError(t, err)
	after := testenv.Files(t, dir)
	require.ElementsMatch(t, []string{"Kptfile", "kustomization.yaml"}, names(after))
	require.Contains(t, after["kustomization.yaml"], "resources: []")
}

func TestLoadAndWriteKeepTheBlueprintAsItIs(t *testing.T) {
	dir := sourceCopy(t)
	before := testenv.Files(t, dir)
	p, err := pipeline.Load(dir)
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	require.NoError(t, p.Write())
	require.Equal(t, before, testenv.Files(t, dir))
}
