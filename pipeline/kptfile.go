package pipeline

import (
	"fmt"
	"path/filepath"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// Function is one entry of a Kptfile pipeline; only the fields nephoran can
// run in process are honoured, the others are refused.
type Function struct {
	Name       string            `json:"name,omitempty"`
	Image      string            `json:"image,omitempty"`
	Exec       string            `json:"exec,omitempty"`
	ConfigPath string            `json:"configPath,omitempty"`
	ConfigMap  map[string]string `json:"configMap,omitempty"`
	Selectors  []any             `json:"selectors,omitempty"`
	Exclude    []any             `json:"exclude,omitempty"`
}

// Pipeline is the Kptfile's pipeline.
type Pipeline struct {
	Mutators   []Function `json:"mutators,omitempty"`
	Validators []Function `json:"validators,omitempty"`
}

// Pipeline returns the Kptfile pipeline of the package.
func (p *Package) Pipeline() (Pipeline, error) {
	var pl Pipeline
	kfs := p.Items.Where(fn.IsMetaResource())
	if len(kfs) != 1 {
		return pl, fmt.Errorf("%s: want one Kptfile, found %d", p.Dir, len(kfs))
	}
	if _, err := kfs[0].NestedResource(&pl, "pipeline"); err != nil {
		return pl, fmt.Errorf("%s: read the pipeline: %w", filepath.Join(p.Dir, KptfileName), err)
	}
	return pl, nil
}

// Render runs the Kptfile pipeline: mutators in order, then validators. It
// stops at the first failure; the items change only through successful
// mutators, and nothing is written (call Write for that).
func (p *Package) Render() ([]Step, error) {
	pl, err := p.Pipeline()
	if err != nil {
		return nil, err
	}
	// Resolve every function first, as kpt does, so a function that cannot
	// run in process is refused before any has run.
	type planned struct {
		image, warning string
		proc           fn.ResourceListProcessor
		config         *fn.KubeObject
		mutate         bool
	}
	var plan []planned
	for _, group := range []struct {
		fns    []Function
		mutate bool
	}{{pl.Mutators, true}, {pl.Validators, false}} {
		for _, f := range group.fns {
			proc, warning, config, err := p.resolve(f)
			if err != nil {
				return nil, err
			}
			plan = append(plan, planned{f.Image, warning, proc, config, group.mutate})
		}
	}
	var steps []Step
	for _, f := range plan {
		step, err := p.Run(f.image, f.proc, f.config, f.mutate)
		if f.warning != "" {
			step.Results = append(fn.Results{fn.GeneralResult(f.warning, fn.Warning)}, step.Results...)
		}
		steps = append(steps, step)
		if err != nil {
			return steps, err
		}
	}
	return steps, nil
}

// resolve finds the built-in function of a pipeline entry and its config.
func (p *Package) resolve(f Function) (fn.ResourceListProcessor, string, *fn.KubeObject, error) {
	where := filepath.Join(p.Dir, KptfileName)
	switch {
	case f.Exec != "":
		return nil, "", nil, fmt.Errorf("%s: exec function %q cannot run in process: use `kpt fn render --allow-exec`", where, f.Exec)
	case len(f.Selectors) > 0 || len(f.Exclude) > 0:
		return nil, "", nil, fmt.Errorf("%s: %s uses selectors, which nephoran render does not support: use `kpt fn render`", where, f.Image)
	}
	proc, warning, err := Resolve(f.Image)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", where, err)
	}
	config, err := p.functionConfig(f)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %s: %w", where, f.Image, err)
	}
	return proc, warning, config, nil
}

// functionConfig is the object named by configPath, or a ConfigMap built
// from configMap, as kpt builds it.
func (p *Package) functionConfig(f Function) (*fn.KubeObject, error) {
	switch {
	case f.ConfigPath != "":
		for _, o := range p.Items {
			if filepath.Clean(o.PathAnnotation()) == filepath.Clean(f.ConfigPath) {
				return o.Copy(), nil
			}
		}
		return nil, fmt.Errorf("configPath %q: no object in that file", f.ConfigPath)
	case f.ConfigMap != nil:
		cm := fn.NewEmptyKubeObject()
		if err := cm.SetAPIVersion("v1"); err != nil {
			return nil, err
		}
		if err := cm.SetKind("ConfigMap"); err != nil {
			return nil, err
		}
		if err := cm.SetName("function-input"); err != nil {
			return nil, err
		}
		return cm, cm.SetNestedStringMap(f.ConfigMap, "data")
	}
	return nil, nil
}
