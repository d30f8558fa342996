package demo

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/nephoran/nephoran/blueprints"
	"github.com/nephoran/nephoran/pipeline"
)

// packagesPath is where the packages sit in the deployment repository.
const packagesPath = "deploy"

// network is the small network the demo deploys: blueprint -> changes to
// its cnf.yaml (old, new) before it is rendered.
var network = []struct {
	blueprint string
	edits     [][2]string
}{
	// The DU may run in edge-1 or edge-2 (so a migrate has somewhere to go)
	// and raises its faults as odu-edge-1.
	{"du", [][2]string{
		{"    sites: [edge-1]\n", "    sites: [edge-1, edge-2]\n"},
		{"  kpm:\n", "  ves:\n    sourceNames: [odu-edge-1]\n  kpm:\n"},
	}},
	{"cu-up", nil},
	{"upf", nil},
}

// seedRepository creates a bare repository at dir/deploy.git whose HEAD is
// main, holding the rendered packages of the network under deploy/.
func seedRepository(dir string, now time.Time) (string, error) {
	bare := filepath.Join(dir, "deploy.git")
	if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{
		Bare: true, InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	}); err != nil {
		return "", fmt.Errorf("create %s: %w", bare, err)
	}
	work, err := os.MkdirTemp(dir, ".seed-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	for _, nf := range network {
		dst := filepath.Join(work, packagesPath, nf.blueprint)
		if err := copyBlueprint(nf.blueprint, dst); err != nil {
			return "", err
		}
		if len(nf.edits) > 0 {
			if err := editAndRender(dst, nf.edits); err != nil {
				return "", fmt.Errorf("blueprint %s: %w", nf.blueprint, err)
			}
		}
	}
	repo, err := git.PlainInitWithOptions(work, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		return "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.AddGlob("."); err != nil {
		return "", err
	}
	sig := &object.Signature{Name: "nephoran demo", Email: "demo@nephoran.invalid", When: now}
	if _, err := wt.Commit("The demo network: a DU, a CU-UP and a UPF, rendered from the blueprints", &git.CommitOptions{Author: sig}); err != nil {
		return "", err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{bare}}); err != nil {
		return "", err
	}
	if err := repo.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}}); err != nil {
		return "", fmt.Errorf("push the seed to %s: %w", bare, err)
	}
	return bare, nil
}

// copyBlueprint writes the embedded blueprint name to dst.
func copyBlueprint(name, dst string) error {
	sub, err := fs.Sub(blueprints.FS, name)
	if err != nil {
		return err
	}
	return fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, p)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// editAndRender changes the package's cnf.yaml and renders it again, as a
// person would with their editor and `nephoran render`.
func editAndRender(dir string, edits [][2]string) error {
	path := filepath.Join(dir, "cnf.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	for _, e := range edits {
		if !strings.Contains(s, e[0]) {
			return fmt.Errorf("cnf.yaml no longer contains %q", e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return err
	}
	pkg, err := pipeline.Load(dir)
	if err != nil {
		return err
	}
	if _, err := pkg.Render(); err != nil {
		return err
	}
	return pkg.Write()
}
