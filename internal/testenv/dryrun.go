package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager testenv uses.
const FieldManager = "nephoran-test"

// ServerDryRun asks the API server to validate objs without persisting them:
// each object is server-side applied with dryRun=All, force, and strict field
// validation (unknown or duplicate fields are errors). Namespaced objects
// without a namespace go to "default"; a missing namespace is created for real
// first, since a dry run cannot create it. The returned error joins one error
// per rejected object, each naming its kind, namespace and name; nil means
// the server accepted all of them.
func ServerDryRun(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error {
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))
	namespaces := map[string]bool{}

	var errs []error
	for _, obj := range objs {
		if err := dryRunOne(ctx, mapper, dyn, core, namespaces, obj); err != nil {
			ns := obj.GetNamespace()
			if ns == "" {
				ns = "-"
			}
			errs = append(errs, fmt.Errorf("%s %s/%s: %w", obj.GetKind(), ns, obj.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// dryRunOne maps obj to its resource, ensures its namespace exists, and
// dry-run applies it.
func dryRunOne(ctx context.Context, mapper *restmapper.DeferredDiscoveryRESTMapper, dyn dynamic.Interface,
	core kubernetes.Interface, namespaces map[string]bool, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// Discovery may predate a CRD installed since the mapper was built.
		mapper.Reset()
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return err
	}
	if obj.GetName() == "" {
		return errors.New("metadata.name is empty")
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	res := dynamic.ResourceInterface(dyn.Resource(mapping.Resource))
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		if !namespaces[ns] {
			if err := ensureNamespace(ctx, core, ns); err != nil {
				return err
			}
			namespaces[ns] = true
		}
		res = dyn.Resource(mapping.Resource).Namespace(ns)
	}
	force := true
	_, err = res.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		Force:           &force,
		FieldManager:    FieldManager,
		FieldValidation: metav1.FieldValidationStrict,
	})
	return err
}

// ensureNamespace creates namespace ns unless it already exists.
func ensureNamespace(ctx context.Context, core kubernetes.Interface, ns string) error {
	_, err := core.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
