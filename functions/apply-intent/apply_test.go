package applyintent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/kptdev/krm-functions-sdk/go/fn/testhelpers"
	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	applyintent "github.com/nephoran/nephoran/functions/apply-intent"
)

// clock is the fixed time of every case: it is the -at stamp of intents
// without spec.at, and never equal to any spec.at in testdata.
var clock = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// TestGolden runs every testdata/<case>: resources.yaml in, _fnconfig.yaml as
// the CNFIntent, the whole ResourceList out, compared with _expected.yaml as
// the SDK's testhelpers.RunGoldenTests does (regenerate with
// WRITE_GOLDEN_OUTPUT=1), but with a fresh processor per case. Cases named
// *-is-an-error must leave every item as it was (TestFailureChangesNoItem).
func TestGolden(t *testing.T) {
	for _, dir := range cases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			items, config := readCase(t, dir)
			rl := &fn.ResourceList{Items: items, FunctionConfig: config}
			_, err := applyintent.Processor{Now: func() time.Time { return clock }}.Process(rl)
			require.NoError(t, err)
			got, err := rl.ToYAML()
			require.NoError(t, err)
			testhelpers.CompareGoldenFile(t, filepath.Join(dir, "_expected.yaml"), got)
		})
	}
}

func cases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	return dirs
}

func readCase(t *testing.T, dir string) (fn.KubeObjects, *fn.KubeObject) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "resources.yaml"))
	require.NoError(t, err)
	items, err := fn.ParseKubeObjects(b)
	require.NoError(t, err)
	c, err := os.ReadFile(filepath.Join(dir, "_fnconfig.yaml"))
	require.NoError(t, err)
	config, err := fn.ParseKubeObject(c)
	require.NoError(t, err)
	return items, config
}

func TestFailureChangesNoItem(t *testing.T) {
	for _, dir := range cases(t) {
		if !strings.HasSuffix(dir, "-is-an-error") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			items, config := readCase(t, dir)
			before := make([]string, len(items))
			for i, o := range items {
				before[i] = o.String()
			}
			rl := &fn.ResourceList{Items: items, FunctionConfig: config}
			ok, err := applyintent.Processor{Now: func() time.Time { return clock }}.Process(rl)
			require.NoError(t, err)
			require.False(t, ok)
			require.NotEmpty(t, rl.Results)
			for _, r := range rl.Results {
				require.Equal(t, fn.Error, r.Severity, r.Message)
			}
			after := make([]string, len(rl.Items))
			for i, o := range rl.Items {
				after[i] = o.String()
			}
			require.Equal(t, before, after)
		})
	}
}

func TestSuccessStampsEveryAnnotation(t *testing.T) {
	for _, dir := range cases(t) {
		if strings.HasSuffix(dir, "-is-an-error") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			items, config := readCase(t, dir)
			rl := &fn.ResourceList{Items: items, FunctionConfig: config}
			ok, err := applyintent.Processor{Now: func() time.Time { return clock }}.Process(rl)
			require.NoError(t, err)
			require.True(t, ok)
			intent, errs := nephv1.DecodeCNFIntent([]byte(config.String()))
			require.Empty(t, errs)
			at := intent.Spec.At
			if at == "" {
				at = clock.Format(time.RFC3339)
			}
			var found bool
			for _, o := range rl.Items.Where(func(o *fn.KubeObject) bool {
				return o.GetName() == intent.Spec.Target && o.GetKind() == "CNFDeployment"
			}) {
				found = true
				require.Equal(t, intent.Name, o.GetAnnotation("nephoran.com/last-intent-id"))
				require.Equal(t, string(intent.Spec.Action), o.GetAnnotation("nephoran.com/last-intent-action"))
				require.Equal(t, at, o.GetAnnotation("nephoran.com/last-intent-at"))
				_, err := time.Parse(time.RFC3339, o.GetAnnotation("nephoran.com/last-intent-at"))
				require.NoError(t, err)
				require.Equal(t, intent.Spec.Reason, o.GetAnnotation("nephoran.com/last-intent-reason"))
				require.Equal(t, intent.Spec.Source, o.GetAnnotation("nephoran.com/last-intent-source"))
			}
			require.True(t, found)
		})
	}
}

// TestCommentsInCNFSurvive checks that every comment of the input, head
// comments and line comments alike, is still in the changed CNFDeployment.
func TestCommentsInCNFSurvive(t *testing.T) {
	for _, dir := range cases(t) {
		if strings.HasSuffix(dir, "-is-an-error") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "resources.yaml"))
			require.NoError(t, err)
			var comments []string
			for _, line := range strings.Split(string(b), "\n") {
				if i := strings.Index(line, "#"); i >= 0 {
					comments = append(comments, line[i:])
				}
			}
			require.NotEmpty(t, comments)

			items, config := readCase(t, dir)
			rl := &fn.ResourceList{Items: items, FunctionConfig: config}
			ok, err := applyintent.Processor{Now: func() time.Time { return clock }}.Process(rl)
			require.NoError(t, err)
			require.True(t, ok)
			var out strings.Builder
			for _, o := range rl.Items {
				out.WriteString(o.String())
			}
			for _, c := range comments {
				require.Contains(t, out.String(), c)
			}
		})
	}
}
