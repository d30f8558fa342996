package porch_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/nephoran/nephoran/internal/porchserver"
	porchpropose "github.com/nephoran/nephoran/watcher/propose/porch"
)

// TestConnectionAuth: a token file, a client certificate and a kubeconfig
// each reach a Porch that requires credentials over TLS; none is refused
// with 401, and a missing credential file is an error before any request.
func TestConnectionAuth(t *testing.T) {
	s, creds := porchserver.StartSecure(t)
	s.Publish(repoName, "deploy/upf-edge-1", upfFiles(t, "upf-edge-1"))
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: porch
  cluster: {server: `+s.URL()+`, certificate-authority: `+creds.CAFile+`}
users:
- name: watcher
  user: {client-certificate: `+creds.ClientCertFile+`, client-key: `+creds.ClientKeyFile+`}
contexts:
- name: porch
  context: {cluster: porch, user: watcher}
- name: other
  context: {cluster: porch, user: nobody}
current-context: other
`), 0o600))

	state := func(c porchpropose.Connection) (int, error) {
		cfg, err := c.RESTConfig()
		if err != nil {
			return 0, err
		}
		p, err := porchpropose.New(porchpropose.Options{Config: cfg, Repository: repoName,
			PackagePath: func(cnf string) string { return "deploy/" + cnf }})
		require.NoError(t, err)
		st, err := p.State(context.Background())
		return len(st.CNFs), err
	}
	for name, c := range map[string]porchpropose.Connection{
		"token":              {Server: s.URL(), TokenFile: creds.TokenFile, CAFile: creds.CAFile},
		"client certificate": {Server: s.URL(), ClientCertFile: creds.ClientCertFile, ClientKeyFile: creds.ClientKeyFile, CAFile: creds.CAFile},
		"kubeconfig context": {Kubeconfig: kubeconfig, Context: "porch"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := state(c)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
	}

	_, err := state(porchpropose.Connection{Server: s.URL(), CAFile: creds.CAFile})
	require.True(t, apierrors.IsUnauthorized(err), "no credentials: %v", err)
	_, err = state(porchpropose.Connection{Kubeconfig: kubeconfig}) // current-context's user has none
	require.Error(t, err)

	for _, c := range []porchpropose.Connection{
		{Server: s.URL(), TokenFile: filepath.Join(t.TempDir(), "missing")},
		{Server: s.URL(), ClientCertFile: creds.ClientCertFile},
		{TokenFile: creds.TokenFile},
		{Server: s.URL(), Kubeconfig: kubeconfig},
	} {
		_, err := c.RESTConfig()
		require.Error(t, err, "%+v", c)
	}
	token, err := os.ReadFile(creds.TokenFile)
	require.NoError(t, err)
	_, err = state(porchpropose.Connection{Server: s.URL(), TokenFile: filepath.Join(t.TempDir(), "missing")})
	require.NotContains(t, err.Error(), string(token[:8]), "no secret in errors")
}
