// Package validatecnf is the validate-cnf KRM function: it checks every
// CNFDeployment, CNFIntent, AutomationRule and FCAPSRule (CEL compiled
// within the cost limit) in a package, and every object a cluster would
// receive (strict decoding into the k8s.io/api types, the security baseline,
// pinned images). Every problem is a result naming the resource, the file and
// the leaf field; any error result fails the function. It never changes items.
package validatecnf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
	"github.com/nephoran/nephoran/internal/nfprofile"
)

// Process implements fn.ResourceListProcessorFunc.
func Process(rl *fn.ResourceList) (bool, error) {
	cnfs, results := krm.DecodeCNFs(rl.Items)
	// Capabilities come from each CNF's nfType even when the CNF itself is
	// invalid, so one mistake does not cascade into its rendered objects.
	caps := map[string][]corev1.Capability{}
	for _, o := range rl.Items.Where(krm.IsCNFDeployment) {
		nfType, _, _ := o.NestedString("spec", "nfType")
		p, _ := nfprofile.For(nephv1.NFType(nfType))
		caps[o.GetName()] = p.Capabilities
	}
	for _, c := range cnfs {
		if !c.Object.IsLocalConfig() {
			results = append(results, krm.ObjectResult(c.Object, "metadata.annotations",
				`metadata.annotations: a CNFDeployment is local-config: add config.kubernetes.io/local-config: "true" so kpt and Porch never apply it`, fn.Warning))
		}
		p, _ := nfprofile.For(c.Spec.NFType)
		for _, missing := range p.MissingInterfaces(c.Spec.Interfaces) {
			results = append(results, krm.ObjectResult(c.Object, "spec.interfaces",
				fmt.Sprintf("spec.interfaces: the %s profile expects interface %q, which this CNF does not declare", c.Spec.NFType, missing), fn.Warning))
		}
	}
	for _, o := range rl.Items.Where(krm.IsCNFIntent) {
		_, rs := krm.DecodeIntent(o)
		results = append(results, rs...)
	}
	for _, o := range rl.Items.Where(isRule) {
		results = append(results, validateRule(o)...)
	}
	for _, o := range rl.Items {
		if o.IsLocalConfig() || fn.IsMetaResource()(o) || isRule(o) {
			continue
		}
		results = append(results, validateObject(o, caps)...)
	}
	rl.Results = append(rl.Results, results...)
	return !krm.HasErrors(results), nil
}

// validateObject strictly decodes a deployable object into its k8s.io/api
// type and checks the pods it would run.
func validateObject(o *fn.KubeObject, caps map[string][]corev1.Capability) fn.Results {
	gvk := o.GroupVersionKind()
	if gvk.Group == "k8s.cni.cncf.io" && gvk.Kind == "NetworkAttachmentDefinition" {
		return validateNAD(o)
	}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil // a kind without a Go type here (CRDs): the API server checks it
	}
	var errs field.ErrorList
	krm.WithNode(o, func(n *yaml.Node) { errs = nephv1.DecodeNode(n, typed, nil) })
	if len(errs) > 0 {
		return krm.FieldResults(o, errs, fn.Error)
	}
	spec, path := podSpecOf(typed)
	if spec == nil {
		return nil
	}
	allowed := caps[o.GetLabel("app.kubernetes.io/instance")]
	return krm.FieldResults(o, podBaseline(spec, path, allowed), fn.Error)
}

// podBaseline is the security baseline every pod in a package must meet:
// non-root, no privilege escalation, a read-only root filesystem, all
// capabilities dropped and only the NF profile's added back, no host
// namespaces, and pinned images.
func podBaseline(spec *corev1.PodSpec, p *field.Path, allowedCaps []corev1.Capability) field.ErrorList {
	var errs field.ErrorList
	if spec.HostNetwork {
		errs = append(errs, field.Forbidden(p.Child("hostNetwork"), "hostNetwork must be false: use a NetworkAttachmentDefinition"))
	}
	if spec.HostPID || spec.HostIPC {
		errs = append(errs, field.Forbidden(p.Child("hostPID"), "host PID and IPC namespaces must not be shared"))
	}
	podNonRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil && *spec.SecurityContext.RunAsNonRoot
	for i := range spec.InitContainers {
		errs = append(errs, containerBaseline(&spec.InitContainers[i], p.Child("initContainers").Index(i), podNonRoot, allowedCaps)...)
	}
	for i := range spec.Containers {
		errs = append(errs, containerBaseline(&spec.Containers[i], p.Child("containers").Index(i), podNonRoot, allowedCaps)...)
	}
	return errs
}

func containerBaseline(c *corev1.Container, p *field.Path, podNonRoot bool, allowedCaps []corev1.Capability) field.ErrorList {
	errs := nephv1.ValidateImage(p.Child("image"), c.Image)
	sc := c.SecurityContext
	sp := p.Child("securityContext")
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
		errs = append(errs, field.Required(sp.Child("runAsNonRoot"), "runAsNonRoot must be true (here or in the pod's securityContext)"))
	}
	if sc.Privileged != nil && *sc.Privileged {
		errs = append(errs, field.Forbidden(sp.Child("privileged"), "privileged containers are not allowed"))
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		errs = append(errs, field.Required(sp.Child("allowPrivilegeEscalation"), "allowPrivilegeEscalation must be false"))
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		errs = append(errs, field.Required(sp.Child("readOnlyRootFilesystem"), "readOnlyRootFilesystem must be true (mount an emptyDir for scratch space)"))
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		errs = append(errs, field.Required(sp.Child("capabilities", "drop"), `capabilities.drop must include "ALL"`))
	}
	if sc.Capabilities != nil {
		for i, c := range sc.Capabilities.Add {
			if !slices.Contains(allowedCaps, corev1.Capability(strings.TrimPrefix(string(c), "CAP_"))) {
				errs = append(errs, field.Forbidden(sp.Child("capabilities", "add").Index(i),
					fmt.Sprintf("capability %s is not one this NF's profile needs (allowed: %v)", c, allowedCaps)))
			}
		}
	}
	return errs
}
