package validatecnf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/kptdev/krm-functions-sdk/go/fn/testhelpers"
	"github.com/stretchr/testify/require"

	rendercnf "github.com/nephoran/nephoran/functions/render-cnf"
	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
)

// TestGolden runs every testdata/<case>: resources.yaml in, the whole
// ResourceList (the unchanged items and the results) out, compared with
// _expected.yaml. Regenerate with WRITE_GOLDEN_OUTPUT=1.
//
// valid-rendered-upf-package is blueprints/upf/cnf.yaml rendered by
// render-cnf; the other cases break it in one way each.
func TestGolden(t *testing.T) {
	testhelpers.RunGoldenTests(t, "testdata", fn.ResourceListProcessorFunc(validatecnf.Process))
}

// passes says which cases must succeed: the valid package and the cases
// whose problems are only warnings.
func passes(dir string) bool {
	name := filepath.Base(dir)
	return strings.HasPrefix(name, "valid-") || strings.HasSuffix(name, "-only-a-warning")
}

func readItems(t *testing.T, dir string) fn.KubeObjects {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "resources.yaml"))
	require.NoError(t, err)
	items, err := fn.ParseKubeObjects(b)
	require.NoError(t, err)
	return items
}

func validate(t *testing.T, items fn.KubeObjects) (*fn.ResourceList, bool) {
	t.Helper()
	rl := &fn.ResourceList{Items: items, FunctionConfig: fn.NewEmptyKubeObject()}
	ok, err := fn.ResourceListProcessorFunc(validatecnf.Process).Process(rl)
	require.NoError(t, err)
	return rl, ok
}

// TestResultsPointAtTheField checks what every case's results must carry:
// a severity, the object, its file and the leaf field, with a message that
// names that field; and that the function never changes an item.
func TestResultsPointAtTheField(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			items := readItems(t, dir)
			before := make([]string, len(items))
			for i, o := range items {
				before[i] = o.String()
			}
			rl, ok := validate(t, items)
			require.Equal(t, passes(dir), ok, "results: %v", rl.Results)
			if !passes(dir) {
				require.NotEmpty(t, rl.Results)
			}
			for _, r := range rl.Results {
				require.Contains(t, []fn.Severity{fn.Error, fn.Warning}, r.Severity)
				require.NotNil(t, r.ResourceRef, r.Message)
				require.NotNil(t, r.File, r.Message)
				require.NotEmpty(t, r.File.Path, r.Message)
				require.NotNil(t, r.Field, r.Message)
				require.NotEmpty(t, r.Field.Path, r.Message)
				require.NotContains(t, r.Field.Path, " ", "a field path, not a sentence")
				require.True(t, strings.HasPrefix(r.Message, r.Field.Path+":"), "message %q names %s", r.Message, r.Field.Path)
			}
			after := make([]string, len(rl.Items))
			for i, o := range rl.Items {
				after[i] = o.String()
			}
			require.Equal(t, before, after)
		})
	}
}

// TestRenderedBlueprintPasses renders the committed blueprints/upf/cnf.yaml
// with render-cnf and validates the result: the two functions agree.
func TestRenderedBlueprintPasses(t *testing.T) {
	b, err := os.ReadFile("../../blueprints/upf/cnf.yaml")
	require.NoError(t, err)
	cnf, err := fn.ParseKubeObject(b)
	require.NoError(t, err)
	require.NoError(t, cnf.SetPathAnnotation("cnf.yaml"))
	rl := &fn.ResourceList{Items: fn.KubeObjects{cnf}, FunctionConfig: fn.NewEmptyKubeObject()}
	ok, err := fn.ResourceListProcessorFunc(rendercnf.Process).Process(rl)
	require.NoError(t, err)
	require.True(t, ok, "render results: %v", rl.Results)

	got, ok := validate(t, rl.Items)
	require.True(t, ok)
	require.Empty(t, got.Results)
}
