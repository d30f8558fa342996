package rendercnf

import (
	"sort"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/nephoran/nephoran/internal/krm"
)

const kustomizationFile = "kustomization.yaml"

// kustomization lists every file that holds a deployable object: not
// local-config, not the Kptfile, not a kustomization. kubectl apply -k and
// Flux apply exactly these, and local-config stays out of clusters.
func kustomization(items fn.KubeObjects) (*fn.KubeObject, error) {
	files := map[string]bool{}
	for _, o := range items {
		path := o.PathAnnotation()
		if path == "" || path == kustomizationFile || o.IsLocalConfig() || fn.IsMetaResource()(o) ||
			o.GetKind() == "Kustomization" || strings.HasPrefix(path, "../") {
			continue
		}
		files[path] = true
	}
	resources := make([]string, 0, len(files))
	for f := range files {
		resources = append(resources, f)
	}
	sort.Strings(resources)
	doc := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"metadata": map[string]any{
			"name": "kustomization",
			"annotations": map[string]string{
				"config.kubernetes.io/local-config": "true",
				krm.GeneratedByAnnotation:           FunctionName,
			},
		},
		"resources": resources,
	}
	y, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	o, err := fn.ParseKubeObject(y)
	if err != nil {
		return nil, err
	}
	if err := o.SetPathAnnotation(kustomizationFile); err != nil {
		return nil, err
	}
	return o, o.SetIndexAnnotation(0)
}

func fileFor(kind string) string {
	return strings.ToLower(kind) + ".yaml"
}
