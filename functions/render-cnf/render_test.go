package rendercnf_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/kptdev/krm-functions-sdk/go/fn/testhelpers"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	rendercnf "github.com/nephoran/nephoran/functions/render-cnf"
	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
)

// TestGolden runs every testdata/<case>: the items of its *.yaml files in, the
// whole ResourceList (items and results) out, compared with _expected.yaml.
// Regenerate with WRITE_GOLDEN_OUTPUT=1. Cases named error-* must fail and
// leave the items as they were (TestFailureChangesNoItem checks that).
func TestGolden(t *testing.T) {
	testhelpers.RunGoldenTests(t, "testdata", fn.ResourceListProcessorFunc(rendercnf.Process))
}

// cases returns the testdata case directories.
func cases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	return dirs
}

// readItems reads the items of a case the way RunGoldenTests does.
func readItems(t *testing.T, dir string) fn.KubeObjects {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var items fn.KubeObjects
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "_") || !testhelpers.IsValidYAMLOrKptfile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		objs, err := fn.ParseKubeObjects(b)
		require.NoError(t, err)
		items = append(items, objs...)
	}
	return items
}

// render runs a fresh render-cnf over a deep copy of items.
func render(t *testing.T, items fn.KubeObjects) (*fn.ResourceList, bool) {
	t.Helper()
	in := make(fn.KubeObjects, len(items))
	for i, o := range items {
		in[i] = o.Copy()
	}
	rl := &fn.ResourceList{Items: in, FunctionConfig: fn.NewEmptyKubeObject()}
	ok, err := fn.ResourceListProcessorFunc(rendercnf.Process).Process(rl)
	require.NoError(t, err)
	return rl, ok
}

// files writes items as kpt writes a package and returns every file's bytes
// by path.
func files(t *testing.T, items fn.KubeObjects) map[string]string {
	t.Helper()
	dir := t.TempDir()
	nodes := make([]*yaml.RNode, 0, len(items))
	for _, o := range items {
		nodes = append(nodes, o.CopyToResourceNode())
	}
	require.NoError(t, kio.LocalPackageWriter{PackagePath: dir}.Write(nodes))
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	}))
	return out
}

func TestRenderingTheOutputAgainChangesNoByte(t *testing.T) {
	for _, dir := range cases(t) {
		if strings.HasPrefix(filepath.Base(dir), "error-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			first, ok := render(t, readItems(t, dir))
			require.True(t, ok)
			second, ok := render(t, first.Items)
			require.True(t, ok)

			require.Equal(t, files(t, first.Items), files(t, second.Items), "files of the second render")
			y1, err := first.ToYAML()
			require.NoError(t, err)
			y2, err := second.ToYAML()
			require.NoError(t, err)
			require.Equal(t, string(y1), string(y2), "ResourceList of the second render")
		})
	}
}

func TestOutputDependsOnlyOnTheCNFDeployments(t *testing.T) {
	items := readItems(t, "testdata/two-cnfs-with-user-file-and-local-config")
	want, ok := render(t, items)
	require.True(t, ok)

	// The same objects in reverse order, with the CNFDeployments moved to
	// other files of a differently named package.
	var moved fn.KubeObjects
	for _, o := range slices.Backward(items) {
		o = o.Copy()
		switch o.GetKind() {
		case "CNFDeployment":
			require.NoError(t, o.SetPathAnnotation("nf/"+o.GetName()+"-cnf.yaml"))
		case "Kptfile":
			require.NoError(t, o.SetName("another-package"))
		}
		moved = append(moved, o)
	}
	got, ok := render(t, moved)
	require.True(t, ok)

	wantFiles, gotFiles := files(t, want.Items), files(t, got.Items)
	for _, f := range []string{"amf.yaml", "smf.yaml", "Kptfile"} {
		delete(wantFiles, f)
	}
	for _, f := range []string{"nf/amf-cnf.yaml", "nf/smf-cnf.yaml", "Kptfile"} {
		delete(gotFiles, f)
	}
	require.Equal(t, wantFiles, gotFiles)
}

func TestFailureChangesNoItem(t *testing.T) {
	for _, dir := range cases(t) {
		if !strings.HasPrefix(filepath.Base(dir), "error-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			items := readItems(t, dir)
			rl, ok := render(t, items)
			require.False(t, ok)
			require.NotEmpty(t, rl.Results)
			for _, r := range rl.Results {
				require.Equal(t, fn.Error, r.Severity)
				require.NotNil(t, r.File, "result %q has no file", r.Message)
				require.NotEmpty(t, r.File.Path)
				require.NotNil(t, r.Field, "result %q has no field", r.Message)
				require.True(t, strings.HasPrefix(r.Message, r.Field.Path), "message %q names %s", r.Message, r.Field.Path)
			}
			require.Equal(t, files(t, items), files(t, rl.Items))
		})
	}
}

// TestRenderedOutputPassesValidation runs validate-cnf over every successful
// render: render-cnf must never produce what validate-cnf rejects.
func TestRenderedOutputPassesValidation(t *testing.T) {
	for _, dir := range cases(t) {
		if strings.HasPrefix(filepath.Base(dir), "error-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rendered, ok := render(t, readItems(t, dir))
			require.True(t, ok)
			rl := &fn.ResourceList{Items: rendered.Items, FunctionConfig: fn.NewEmptyKubeObject()}
			ok, err := fn.ResourceListProcessorFunc(validatecnf.Process).Process(rl)
			require.NoError(t, err)
			require.True(t, ok, "validate-cnf results: %v", rl.Results)
		})
	}
}
