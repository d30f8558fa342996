// Package catalog_test runs every function's catalog examples with kpt's own
// end-to-end runner and the real kpt CLI: each example is copied to a temp
// directory, evaluated twice (idempotency), and its git diff, results and
// exit code compared with .expected/. Regenerate with KPT_E2E_UPDATE_EXPECTED=true.
package catalog_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kptdev/kpt/pkg/test/runner"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

func TestCatalogExamples(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	for _, f := range []string{"render-cnf", "apply-intent", "validate-cnf"} {
		testenv.Tool(t, f) // the examples' execPath points at bin/<function>
	}
	// kpt's runner looks kpt up on PATH.
	t.Setenv("PATH", filepath.Dir(kpt)+string(os.PathListSeparator)+os.Getenv("PATH"))

	cases, err := runner.ScanTestCases(".")
	require.NoError(t, err)
	require.Len(t, *cases, 6, "every function has its examples")
	for _, c := range *cases {
		t.Run(c.Path, func(t *testing.T) {
			r, err := runner.NewRunner(t, c, c.Config.TestType)
			require.NoError(t, err)
			require.NoError(t, r.Run())
		})
	}
}
