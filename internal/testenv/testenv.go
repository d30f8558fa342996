// Package testenv starts the real external components that nephoran's tests
// run against, and locates the real tools they shell out to.
//
// The binaries live in the repository's bin/ directory and are built by
// `make tools` (hack/tools.mk): kpt, kustomize, kube-apiserver, etcd and the
// upstream CRDs under bin/crds/. A missing tool fails the test rather than
// skipping it, so a test suite can never pass without having run.
//
// StartKubeAPIServer runs etcd plus kube-apiserver on loopback ports for one
// test; InstallCRDs and ServerDryRun use it to check rendered objects against
// a real API server's validation (server-side apply, dry run, strict fields).
package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modulePath is the main module whose go.mod marks the repository root.
const modulePath = "github.com/nephoran/nephoran"

// RepoRoot returns the repository root: the nearest directory at or above the
// working directory whose go.mod declares module github.com/nephoran/nephoran.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		if goModDeclares(filepath.Join(dir, "go.mod"), modulePath) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod of module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// goModDeclares reports whether the go.mod file at path declares module mod.
func goModDeclares(path, mod string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == mod
		}
	}
	return false
}

// Tool returns the absolute path of bin/<name> under the repository root. If
// the file is missing the test fails: tools are built by `make tools`.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(RepoRoot(t), "bin", filepath.FromSlash(name))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("bin/%s missing: run `make tools`", name)
	}
	return path
}

// UpstreamCRDs returns the upstream CRD files copied by `make tools`: Multus'
// NetworkAttachmentDefinition and prometheus-operator's ServiceMonitor.
func UpstreamCRDs(t testing.TB) []string {
	t.Helper()
	return []string{
		Tool(t, "crds/networks-crd.yaml"),
		Tool(t, "crds/monitoring.coreos.com_servicemonitors.yaml"),
	}
}
