// Package rendercnf is the render-cnf KRM function: it turns every
// CNFDeployment in a package into the objects a cluster runs (a Deployment or
// StatefulSet, Services, ServiceAccount, ConfigMap, PodDisruptionBudget, one
// NetworkAttachmentDefinition per interface, a ServiceMonitor) and writes a
// kustomization.yaml that lists only the deployable files.
//
// Rendered objects carry the nephoran.com/generated-by annotation: the next
// render replaces them, and prunes those whose CNFDeployment is gone. Output
// depends only on the CNFDeployments, so rendering twice changes nothing.
package rendercnf

import (
	"fmt"
	"sort"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/nephoran/nephoran/internal/krm"
	"github.com/nephoran/nephoran/internal/nfprofile"
	"github.com/nephoran/nephoran/internal/parallel"
)

// FunctionName is the value of the generated-by annotation.
const FunctionName = "render-cnf"

// Process renders every CNFDeployment in rl. On any error result it leaves
// the items untouched.
func Process(rl *fn.ResourceList) (bool, error) {
	cnfs, results := krm.DecodeCNFs(rl.Items)
	rl.Results = append(rl.Results, results...)
	if krm.HasErrors(results) {
		return false, nil
	}

	// CNFs render independently: on every CPU, each into its own slot.
	perCNF := make([]fn.KubeObjects, len(cnfs))
	err := parallel.ForEach(len(cnfs), func(i int) error {
		profile, _ := nfprofile.For(cnfs[i].Spec.NFType) // Validate guarantees a known nfType.
		objs, err := renderCNF(cnfs[i], profile)
		if err != nil {
			return fmt.Errorf("%s: %w", cnfs[i].Name, err)
		}
		perCNF[i] = objs
		return nil
	})
	if err != nil {
		rl.Results = append(rl.Results, fn.ErrorResult(err))
		return false, nil
	}
	var generated fn.KubeObjects
	for _, objs := range perCNF {
		generated = append(generated, objs...)
	}

	kept, userKustomization := withoutGenerated(rl.Items)
	if err := setPaths(generated, kept); err != nil {
		return false, err
	}
	if userKustomization != nil {
		rl.Results = append(rl.Results, krm.ObjectResult(userKustomization, "",
			"kustomization.yaml was not written by render-cnf: leaving it as it is; list the rendered files in it yourself", fn.Warning))
	}
	items := append(kept, generated...)
	if userKustomization == nil {
		k, err := kustomization(items)
		if err != nil {
			return false, err
		}
		items = append(items, k)
	}
	rl.Items = items
	return true, nil
}

// withoutGenerated drops what a previous render generated. It also returns a
// kustomization.yaml the user wrote, which render-cnf must not replace.
func withoutGenerated(items fn.KubeObjects) (fn.KubeObjects, *fn.KubeObject) {
	var kept fn.KubeObjects
	var user *fn.KubeObject
	for _, o := range items {
		if o.GetAnnotation(krm.GeneratedByAnnotation) == FunctionName {
			continue
		}
		if o.PathAnnotation() == kustomizationFile {
			user = o
		}
		kept = append(kept, o)
	}
	return kept, user
}

// setPaths places generated objects into one file per kind (deployment.yaml,
// service.yaml, ...), ordered by name within a file, so the layout never
// depends on the order of the input. Objects a user keeps in the same file
// stay first.
func setPaths(objs, kept fn.KubeObjects) error {
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].GetName() < objs[j].GetName() })
	index := map[string]int{}
	for _, o := range kept {
		if i := o.IndexAnnotation(); i >= index[o.PathAnnotation()] {
			index[o.PathAnnotation()] = i + 1
		}
	}
	for _, o := range objs {
		path := fileFor(o.GetKind())
		if err := o.SetPathAnnotation(path); err != nil {
			return err
		}
		if err := o.SetIndexAnnotation(index[path]); err != nil {
			return err
		}
		index[path]++
	}
	return nil
}
