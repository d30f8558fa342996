package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadFindsEveryBlueprintCNF(t *testing.T) {
	cnfs, err := Load("../../blueprints")
	require.NoError(t, err)
	var names []string
	for _, c := range cnfs {
		names = append(names, c.Name)
		require.FileExists(t, c.File)
	}
	require.Equal(t, []string{"amf", "cu-cp", "cu-up", "du", "smf", "upf"}, names)
}

func TestLoadRefusesAnInvalidCNFNamingFileAndField(t *testing.T) {
	dir := t.TempDir()
	bad := "apiVersion: nephoran.com/v1\nkind: CNFDeployment\nmetadata: {name: upf}\nspec: {nfType: upf, image: upf:latest, replicas: 1, scaling: {minReplicas: 1, maxReplicas: 2}}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cnf.yaml"), []byte(bad), 0o644))
	_, err := Load(dir)
	require.ErrorContains(t, err, "cnf.yaml")
	require.ErrorContains(t, err, "spec.image")
}

func TestLoadRefusesTheSameCNFTwice(t *testing.T) {
	dir := t.TempDir()
	cnf, err := os.ReadFile("../../blueprints/upf/cnf.yaml")
	require.NoError(t, err)
	for _, f := range []string{"a.yaml", "b.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), cnf, 0o644))
	}
	_, err = Load(dir)
	require.ErrorContains(t, err, "declared twice")
}

func TestLoadSkipsOtherKindsAndFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("kind: CNFDeployment"), 0o644))
	cnfs, err := Load(dir)
	require.NoError(t, err)
	require.Empty(t, cnfs)
}
