package main

import (
	"github.com/nephoran/nephoran/internal/testenv"

	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// run runs the CLI in process and returns what it printed.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// upfCopy copies the UPF blueprint's sources to a temp dir.
func upfCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Kptfile", "cnf.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../blueprints/upf", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	return dir
}

func read(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	require.NoError(t, err)
	return string(b)
}

func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	s := read(t, dir, file)
	require.Contains(t, s, old)
	require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(strings.Replace(s, old, new, 1)), 0o644))
}

func TestRender(t *testing.T) {
	dir := upfCopy(t)
	out, _, err := run(t, "render", dir)
	require.NoError(t, err)
	require.Contains(t, out, "ghcr.io/nephoran/render-cnf:v0.1.0 ok")
	require.Contains(t, out, "ghcr.io/nephoran/validate-cnf:v0.1.0 ok")
	require.Contains(t, read(t, dir, "deployment.yaml"), "replicas: 2")
	require.Contains(t, read(t, dir, "kustomization.yaml"), "- deployment.yaml")

	rendered := testenv.Files(t, dir)
	_, _, err = run(t, "render", dir)
	require.NoError(t, err)
	require.Equal(t, rendered, testenv.Files(t, dir), "a second render changes nothing")
}

func TestIntentScalesOutAndRerenders(t *testing.T) {
	dir := upfCopy(t)
	_, _, err := run(t, "render", dir)
	require.NoError(t, err)

	out, _, err := run(t, "intent", dir, "--action", "scale_out", "--reason", "x", "--at", "2026-01-01T00:00:00Z", "--id", "t1")
	require.NoError(t, err, out)
	require.Contains(t, out, "replicas 2 -> 3")

	cnf := read(t, dir, "cnf.yaml")
	require.Contains(t, cnf, "  replicas: 3\n")
	for _, a := range []string{
		"nephoran.com/last-intent-id: t1",
		"nephoran.com/last-intent-action: scale_out",
		`nephoran.com/last-intent-at: "2026-01-01T00:00:00Z"`,
		"nephoran.com/last-intent-reason: x",
		"nephoran.com/last-intent-source: cli",
	} {
		require.Contains(t, cnf, a)
	}
	require.True(t, strings.HasPrefix(cnf, "# The UPF of one edge site"), "the head comment survives")
	require.Contains(t, read(t, dir, "deployment.yaml"), "  replicas: 3\n")
}

func TestIntentAtTheBoundChangesNothing(t *testing.T) {
	dir := upfCopy(t)
	edit(t, dir, "cnf.yaml", "  replicas: 2\n", "  replicas: 10\n")
	_, _, err := run(t, "render", dir)
	require.NoError(t, err)
	before := testenv.Files(t, dir)

	out, errOut, err := run(t, "intent", dir, "--action", "scale_out", "--reason", "x", "--id", "t2")
	require.Error(t, err)
	require.Contains(t, out+errOut, "spec.replicas")
	require.Contains(t, out+errOut, "maxReplicas 10")
	require.Equal(t, before, testenv.Files(t, dir))
}

func TestValidate(t *testing.T) {
	t.Run("a rendered blueprint passes", func(t *testing.T) {
		dir := upfCopy(t)
		_, _, err := run(t, "render", dir)
		require.NoError(t, err)
		out, _, err := run(t, "validate", dir)
		require.NoError(t, err, out)
		require.Contains(t, out, "validate-cnf:v0.1.0 ok")
	})
	t.Run("image tagged latest fails naming spec.image", func(t *testing.T) {
		dir := upfCopy(t)
		edit(t, dir, "cnf.yaml", "image: registry.example.com/nephoran/upf:1.4.2", "image: foo:latest")
		before := testenv.Files(t, dir)
		out, errOut, err := run(t, "validate", dir)
		require.Error(t, err)
		require.Contains(t, out, "FAILED")
		require.Contains(t, out, "spec.image")
		require.Contains(t, out, "foo:latest")
		require.Contains(t, out, "(cnf.yaml)")
		require.Contains(t, errOut, "1 of 1 packages or rule directories failed validation")
		require.Equal(t, before, testenv.Files(t, dir), "validate never writes")
	})
}

func TestValidateRuleDirectoryNamesFileLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	rule := "apiVersion: nephoran.com/v1\nkind: FCAPSRule\nmetadata: {name: x}\nspec:\n  eventDomain: fault\n  action: migrate\n  condition: \"event.faultFields.alarmAdditionalInformation.count > 5\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warn.yaml"), []byte(rule), 0o644))
	stdout, _, err := run(t, "validate", dir)
	require.NoError(t, err, "a warning does not fail validation")
	require.Contains(t, stdout, filepath.Join(dir, "warn.yaml")+":7:15: warning: spec.condition:")
	require.Contains(t, stdout, "write double(event.faultFields.alarmAdditionalInformation.count) > 5")

	bad := "apiVersion: nephoran.com/v1\nkind: AutomationRule\nmetadata: {name: y}\nspec:\n  condition: \"metrics['kpm.prb_utilization'] >\"\n  action: scale_out\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644))
	_, stderr, err := run(t, "validate", dir)
	require.Error(t, err)
	require.Contains(t, stderr, filepath.Join(dir, "bad.yaml")+":5:")
	require.Contains(t, stderr, "spec.condition")
}
