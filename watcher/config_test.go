package watcher

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watch.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{name: "empty file is the default", body: ""},
		{name: "every section", body: "listen: 127.0.0.1:9990\nves: {lenient: true, maxBodyBytes: 1048576}\nstore: {retention: 72h, kpmRetention: 6h}\nrules: ./rules\nwebhook: {secretEnv: NEPHORAN_WEBHOOK_SECRET}\nauth: {mode: noAuth}\n"},
		{name: "a misspelt key is named", body: "ves: {lenientt: true}\n", wantErr: "ves.lenientt"},
		{name: "retention must be a duration", body: "store: {retention: a week}\n", wantErr: "store.retention"},
		{name: "kpm retention must be a positive duration", body: "store: {kpmRetention: -1h}\n", wantErr: "store.kpmRetention"},
		{name: "a prometheus pull", body: "kpm: {prometheus: {url: http://prometheus:9090, interval: 15s, queries: [{measurement: RRU.PrbUsedDl, promql: kpimon_prb_used_dl, nodeLabel: gnb, cellLabel: cell}]}}\n"},
		{name: "the pull needs its interval", body: "kpm: {prometheus: {url: http://prometheus:9090, interval: soon, queries: [{measurement: RRU.PrbUsedDl, promql: x, nodeLabel: gnb, cellLabel: cell}]}}\n", wantErr: "kpm.prometheus.interval"},
		{name: "the pull needs queries", body: "kpm: {prometheus: {url: http://prometheus:9090, interval: 15s}}\n", wantErr: "kpm.prometheus"},
		{name: "a porch deployment", body: "porch: {server: https://127.0.0.1:6443, tokenFile: /var/run/token, caFile: /etc/ca.crt, namespace: porch-demo, repository: deployments, packages: {upf-edge-1: deploy/upf-edge-1}, refresh: 5s}\n"},
		{name: "porch refresh must be a duration", body: "porch: {repository: r, refresh: often}\n", wantErr: "porch.refresh"},
		{name: "a misspelt porch key is named", body: "porch: {repository: r, tokenfile: t}\n", wantErr: "porch.tokenfile"},
		{name: "git or porch, not both", body: "git: {url: /tmp/r}\nporch: {repository: r}\n", wantErr: "both"},
		{name: "auth is validated", body: "auth: {mode: basicAuth, users: [{username: a, passwordHash: plain}]}\n", wantErr: "auth.users[0].passwordHash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.body))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestWebhookSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(file, []byte("s3cr3t\n"), 0o600))
	t.Setenv("TEST_WEBHOOK_SECRET", "from-env")

	s, err := WebhookConfig{SecretFile: file}.Secret()
	require.NoError(t, err)
	require.Equal(t, "s3cr3t", string(s), "a trailing newline is not part of the secret")
	s, err = WebhookConfig{SecretEnv: "TEST_WEBHOOK_SECRET"}.Secret()
	require.NoError(t, err)
	require.Equal(t, "from-env", string(s))
	s, err = WebhookConfig{}.Secret()
	require.NoError(t, err)
	require.Nil(t, s, "no secret: the webhook is off")

	_, err = WebhookConfig{SecretEnv: "TEST_UNSET_VARIABLE"}.Secret()
	require.ErrorContains(t, err, "TEST_UNSET_VARIABLE")
	_, err = WebhookConfig{SecretFile: file, SecretEnv: "TEST_WEBHOOK_SECRET"}.Secret()
	require.ErrorContains(t, err, "not both")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = WebhookConfig{SecretFile: file}.Secret()
	require.ErrorContains(t, err, "empty")
}

func TestLoadPorchConfig(t *testing.T) {
	c, err := LoadConfig(writeConfig(t, "porch: {kubeconfig: /etc/kubeconfig, context: edge, namespace: porch-demo, repository: deployments, packages: {upf-edge-1: deploy/upf-edge-1}}\n"))
	require.NoError(t, err)
	require.NotNil(t, c.Porch)
	require.Equal(t, "/etc/kubeconfig", c.Porch.Kubeconfig)
	require.Equal(t, "edge", c.Porch.Context)
	require.Equal(t, "porch-demo", c.Porch.Namespace)
	require.Equal(t, "deployments", c.Porch.Repository)
	require.Equal(t, map[string]string{"upf-edge-1": "deploy/upf-edge-1"}, c.Porch.Packages)
}
