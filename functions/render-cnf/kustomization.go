package rendercnf

import (
	"sort"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
)

const kustomizationFile = "kustomization.yaml"

// kustomization lists every file that holds a deployable object: not
// local-config, not the Kptfile, not a kustomization, and never nephoran's
// own kinds (a CNFDeployment that lacks its local-config annotation stays
// out too; validate-cnf warns about it). kubectl apply -k and
// Flux apply exactly these, and local-config stays out of clusters.
func kustomization(items fn.KubeObjects) (*fn.KubeObject, error) {
	files := map[string]bool{}
	for _, o := range items {
		path := o.PathAnnotation()
		if path == "" || path == kustomizationFile || o.IsLocalConfig() || fn.IsMetaResource()(o) ||
			o.GetKind() == "Kustomization" || o.GetAPIVersion() == nephv1.APIVersion || strings.HasPrefix(path, "../") {
			continue
		}
		files[path] = true
	}
	paths := make([]string, 0, len(files))
	for f := range files {
		paths = append(paths, f)
	}
	sort.Strings(paths)
	resources := make([]any, len(paths))
	for i, p := range paths {
		resources[i] = p
	}
	doc := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"metadata": map[string]any{
			"name": "kustomization",
			"annotations": map[string]any{
				"config.kubernetes.io/local-config": "true",
				krm.GeneratedByAnnotation:           FunctionName,
			},
		},
		"resources": resources,
	}
	o := fn.MoveToKubeObject(yaml.NewRNode(toNode(doc)))
	if err := o.SetPathAnnotation(kustomizationFile); err != nil {
		return nil, err
	}
	return o, o.SetIndexAnnotation(0)
}

func fileFor(kind string) string {
	return strings.ToLower(kind) + ".yaml"
}
