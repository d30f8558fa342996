package pipeline

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// KptfileName is the name of a kpt package's metadata file.
const KptfileName = "Kptfile"

// Package is a kpt package read into memory.
type Package struct {
	Dir   string
	Items fn.KubeObjects

	// read are the files Load found, so that Write can delete those that
	// no longer hold any object.
	read []string
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

// Load reads the package in dir (not its subpackages), as kpt does. A
// directory without a Kptfile loads too; only Render needs one.
func Load(dir string) (*Package, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	nodes, files, err := readPackage(dir)
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}
	p := &Package{Dir: dir, read: files}
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
	if err := writePackage(p.Dir, nodes, p.read); err != nil {
		return fmt.Errorf("write package %s: %w", p.Dir, err)
	}
	return nil
}

// Run runs one function on the items. A mutator works on a copy, which
// replaces the items only when it succeeded; a validator (mutate false) reads
// the items themselves and its output is dropped, so it must not change them
// (the built-in validate-cnf never does).
func (p *Package) Run(name string, proc fn.ResourceListProcessor, config *fn.KubeObject, mutate bool) (Step, error) {
	if config == nil {
		config = fn.NewEmptyKubeObject()
	}
	items := slices.Clone(p.Items)
	if mutate {
		for i, o := range p.Items {
			items[i] = o.Copy()
		}
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
