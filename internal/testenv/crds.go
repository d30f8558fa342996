package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// crdGVR is the resource of CustomResourceDefinitions.
var crdGVR = schema.GroupVersionResource{
	Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions",
}

// InstallCRDs applies every CustomResourceDefinition in the YAML files at
// paths (multi-document files are fine) and waits until each one is
// Established and served by discovery, so a REST mapper built afterwards
// sees it.
func InstallCRDs(t testing.TB, cfg *rest.Config, paths ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var crds []*unstructured.Unstructured
	for _, path := range paths {
		objs, err := ReadYAML(path)
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				t.Fatalf("testenv: %s: %s %q is not a CustomResourceDefinition", path, o.GetKind(), o.GetName())
			}
			if _, err := dyn.Resource(crdGVR).Apply(ctx, o.GetName(), o,
				metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
				t.Fatalf("testenv: create CRD %s from %s: %v", o.GetName(), path, err)
			}
			crds = append(crds, o)
		}
	}
	for _, o := range crds {
		if err := waitCRDServed(ctx, dyn, disco, o); err != nil {
			t.Fatalf("testenv: CRD %s: %v", o.GetName(), err)
		}
	}
}

// waitCRDServed waits until crd has condition Established=True and every
// served version of it is listed by discovery.
func waitCRDServed(ctx context.Context, dyn dynamic.Interface, disco discovery.DiscoveryInterface, crd *unstructured.Unstructured) error {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		live, err := dyn.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil || !established(live) {
			return false, nil
		}
		for _, v := range versions {
			v, _ := v.(map[string]any)
			name, _ := v["name"].(string)
			if served, _ := v["served"].(bool); !served {
				continue
			}
			list, err := disco.ServerResourcesForGroupVersion(group + "/" + name)
			if err != nil || !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
				return r.Name == plural
			}) {
				return false, nil
			}
		}
		return true, nil
	})
}

// established reports whether a live CRD has condition Established=True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		c, _ := c.(map[string]any)
		if c["type"] == "Established" && c["status"] == "True" {
			return true
		}
	}
	return false
}

// ReadYAML decodes every non-empty document of a YAML (or JSON) file.
func ReadYAML(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}
