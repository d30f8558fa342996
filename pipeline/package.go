package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// KptfileName is the name of a kpt package's metadata file.
const KptfileName = "Kptfile"

// Package is a kpt package read into memory.
type Package struct {
	Dir   string
	Items fn.KubeObjects

	// rw read the package: it remembers the files Load found, so that Write
	// can delete those that no longer hold any object.
	rw *kio.LocalPackageReadWriter
}

// Step is the outcome of one function run.
type Step struct {
	Function string
	Results  fn.Results
	// Failed is set when the function reported an error result or failed.
	Failed bool
}

// ErrFailed is returned when a function failed; its Step says why.
var ErrFailed = errors.New("function failed")

// readWriter reads and writes a package the way kpt does, so both produce
// the same bytes.
func readWriter(dir string) *kio.LocalPackageReadWriter {
	return &kio.LocalPackageReadWriter{
		PackagePath:       dir,
		PackageFileName:   KptfileName,
		MatchFilesGlob:    append([]string{KptfileName}, kio.MatchAll...),
		PreserveSeqIndent: true,
		WrapBareSeqNode:   true,
		FileSystem:        filesys.FileSystemOrOnDisk{FileSystem: keepUnchanged{filesys.MakeFsOnDisk()}},
	}
}

// keepUnchanged skips writing a file whose content would not change, so a
// render that changes nothing leaves every file (and its mtime) alone.
type keepUnchanged struct{ filesys.FileSystem }

func (fs keepUnchanged) WriteFile(path string, data []byte) error {
	if old, err := fs.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return fs.FileSystem.WriteFile(path, data)
}

// Load reads the package in dir (not its subpackages), as kpt does. A
// directory without a Kptfile loads too; only Render needs one.
func Load(dir string) (*Package, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	rw := readWriter(dir)
	nodes, err := rw.Read()
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}
	p := &Package{Dir: dir, rw: rw}
	for _, n := range nodes {
		p.Items = append(p.Items, fn.MoveToKubeObject(n))
	}
	return p, nil
}

// Write writes the items back to the package, deleting files that no
// longer hold any object.
func (p *Package) Write() error {
	nodes := make([]*yaml.RNode, 0, len(p.Items))
	for _, o := range p.Items {
		nodes = append(nodes, o.CopyToResourceNode())
	}
	rw := p.rw
	if rw == nil || rw.PackagePath != p.Dir {
		rw = readWriter(p.Dir) // not what Load read: no file to delete
	}
	if err := rw.Write(nodes); err != nil {
		return fmt.Errorf("write package %s: %w", p.Dir, err)
	}
	return nil
}

// Run runs one function on the items. A mutator's output replaces the items
// only when it succeeded; a validator (mutate false) sees a copy.
func (p *Package) Run(name string, proc fn.ResourceListProcessor, config *fn.KubeObject, mutate bool) (Step, error) {
	if config == nil {
		config = fn.NewEmptyKubeObject()
	}
	items := make(fn.KubeObjects, len(p.Items))
	for i, o := range p.Items {
		items[i] = o.Copy()
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: config}
	ok, err := proc.Process(rl)
	step := Step{Function: name, Results: rl.Results, Failed: !ok || err != nil || hasError(rl.Results)}
	if err != nil {
		step.Results = append(step.Results, fn.ErrorResult(err))
	}
	if step.Failed {
		return step, fmt.Errorf("%s: %w", name, ErrFailed)
	}
	if mutate {
		p.Items = rl.Items
	}
	return step, nil
}

func hasError(rs fn.Results) bool {
	for _, r := range rs {
		if r.Severity == fn.Error {
			return true
		}
	}
	return false
}
