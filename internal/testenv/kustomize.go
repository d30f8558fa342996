package testenv

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// KustomizeBuild runs the real `kustomize build dir` (bin/kustomize) and
// returns its objects, as Flux or `kubectl apply -k` would apply them.
func KustomizeBuild(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(Tool(t, "kustomize"), "build", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testenv: kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("testenv: kustomize build %s: %v", dir, err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs
}
