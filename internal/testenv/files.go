package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nephoran/nephoran/pipeline"
)

// Files returns every file below dir, by slash path relative to dir.
func Files(t testing.TB, dir string) map[string]string {
	t.Helper()
	out, err := pipeline.ReadTree(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// CopyDir copies the tree at src into a fresh temporary directory named
// like src and returns its path.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}
