package testenv_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// obj decodes one YAML manifest.
func obj(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	require.NoError(t, yaml.Unmarshal([]byte(manifest), &u.Object))
	return u
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: upf
  namespace: ran
spec:
  replicas: %REPLICAS%
  selector:
    matchLabels: {app: upf}
  template:
    metadata:
      labels: {app: upf}
    spec:
      containers:
      - name: upf
        image: ghcr.io/nephoran/upf:v1.0.0
`

const nad = `
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: upf-n3
  namespace: ran
spec:
  config: '{"cniVersion":"0.3.1","type":"macvlan","master":"eth1","ipam":{"type":"static"}}'
`

func TestServerDryRun(t *testing.T) {
	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	valid := obj(t, replace(deployment, "2"))
	require.NoError(t, testenv.ServerDryRun(ctx, cfg, []*unstructured.Unstructured{valid, obj(t, nad)}))

	negative := obj(t, replace(deployment, "-1"))
	negative.SetName("negative")
	unknown := obj(t, replace(deployment, "1"))
	unknown.SetName("unknown")
	require.NoError(t, unstructured.SetNestedField(unknown.Object, "x", "spec", "replicaz"))

	err := testenv.ServerDryRun(ctx, cfg, []*unstructured.Unstructured{negative, valid, unknown})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Deployment ran/negative")
	require.Contains(t, err.Error(), "spec.replicas")
	require.Contains(t, err.Error(), "Deployment ran/unknown")
	require.Contains(t, err.Error(), "replicaz")
	require.NotContains(t, err.Error(), "ran/upf")
	t.Log(err)
}

// fatalRecorder captures the message of a Fatalf and stops the goroutine.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestTool(t *testing.T) {
	require.FileExists(t, testenv.Tool(t, "kube-apiserver"))
	require.FileExists(t, filepath.Join(testenv.RepoRoot(t), "hack", "tools.mk"))

	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testenv.Tool(rec, "no-such-tool")
	}()
	<-done
	require.Equal(t, "bin/no-such-tool missing: run `make tools`", rec.msg)
}

func replace(s, replicas string) string {
	return strings.ReplaceAll(s, "%REPLICAS%", replicas)
}
