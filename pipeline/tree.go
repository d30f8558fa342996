package pipeline

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ReadTree returns every regular file below dir by slash path relative to
// dir: a package as Porch's PackageRevisionResources hold it.
func ReadTree(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out, err
}

// WriteTree writes files (slash paths relative to dir, as ReadTree
// returns them) under dir. A path that is not clean, or leaves dir, is an
// error naming it.
func WriteTree(dir string, files map[string]string) error {
	for name, content := range files {
		if c := path.Clean(name); name == "" || c != name || path.IsAbs(name) || c == ".." || strings.HasPrefix(c, "../") {
			return fmt.Errorf("file %q is not a relative path inside the package", name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
