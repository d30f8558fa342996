package v1

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCNFDeploymentsIn: the CNFDeployments of a multi-document file are
// decoded strictly, other kinds skipped, a bad one named by its document,
// and a file that stops being YAML is an error after what it could read.
func TestCNFDeploymentsIn(t *testing.T) {
	cnf := func(name string, extra string) string {
		return "apiVersion: nephoran.com/v1\nkind: CNFDeployment\nmetadata: {name: " + name + "}\nspec: {nfType: upf, image: i:1, replicas: 2" + extra + "}\n"
	}
	file := cnf("a", "") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" + cnf("b", ", replicass: 3") + "---\n" + cnf("c", "")
	cnfs, problems, err := CNFDeploymentsIn([]byte(file))
	require.NoError(t, err)
	require.Len(t, cnfs, 2)
	require.Equal(t, "a", cnfs[0].Name)
	require.Equal(t, "c", cnfs[1].Name)
	require.Len(t, problems, 1)
	require.Contains(t, problems[0], "document 3")
	require.Contains(t, problems[0], "replicass")

	cnfs, _, err = CNFDeploymentsIn([]byte(cnf("a", "") + "---\nkind: CNFDeployment\n\t: [\n"))
	require.Error(t, err)
	require.Len(t, cnfs, 1)

	cnfs, problems, err = CNFDeploymentsIn([]byte("apiVersion: v1\nkind: Service\n"))
	require.NoError(t, err)
	require.Empty(t, cnfs)
	require.Empty(t, problems)
}
