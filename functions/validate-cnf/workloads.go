package validatecnf

import (
	"encoding/json"
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/nephoran/nephoran/internal/krm"
)

// podSpecOf returns the pod spec a workload kind runs, and its path.
func podSpecOf(obj runtime.Object) (*corev1.PodSpec, *field.Path) {
	tmpl := field.NewPath("spec", "template", "spec")
	switch w := obj.(type) {
	case *corev1.Pod:
		return &w.Spec, field.NewPath("spec")
	case *appsv1.Deployment:
		return &w.Spec.Template.Spec, tmpl
	case *appsv1.StatefulSet:
		return &w.Spec.Template.Spec, tmpl
	case *appsv1.DaemonSet:
		return &w.Spec.Template.Spec, tmpl
	case *appsv1.ReplicaSet:
		return &w.Spec.Template.Spec, tmpl
	case *batchv1.Job:
		return &w.Spec.Template.Spec, tmpl
	case *batchv1.CronJob:
		return &w.Spec.JobTemplate.Spec.Template.Spec, field.NewPath("spec", "jobTemplate", "spec", "template", "spec")
	}
	return nil, nil
}

// validateNAD checks that a NetworkAttachmentDefinition's spec.config is a
// CNI configuration Multus can read.
func validateNAD(o *fn.KubeObject) fn.Results {
	cfg, _, _ := o.NestedString("spec", "config")
	var conf struct {
		CNIVersion string `json:"cniVersion"`
		Type       string `json:"type"`
		Plugins    []any  `json:"plugins"`
	}
	err := json.Unmarshal([]byte(cfg), &conf)
	switch {
	case cfg == "":
		return fn.Results{krm.ObjectResult(o, "spec.config", "spec.config: a CNI configuration (JSON) is required", fn.Error)}
	case err != nil:
		return fn.Results{krm.ObjectResult(o, "spec.config", fmt.Sprintf("spec.config: not valid JSON: %v", err), fn.Error)}
	case conf.Type == "" && len(conf.Plugins) == 0:
		return fn.Results{krm.ObjectResult(o, "spec.config", `spec.config: the CNI configuration needs "type" or "plugins"`, fn.Error)}
	}
	return nil
}
