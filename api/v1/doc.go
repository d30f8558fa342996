// Package v1 holds the KRM types of the API group nephoran.com/v1: CNFDeployment
// (the single source of truth for one network function in its kpt package) and
// CNFIntent (one requested lifecycle change, the functionConfig of apply-intent).
//
// Every decoder in this package is strict: an unknown or duplicate field is an
// error that names its full path, so a typo in a package never passes silently.
// Validate methods return field.ErrorList values whose paths are the leaf fields
// (spec.scaling.minReplicas), which the functions turn into kpt results.
//
// The same types are served as CustomResourceDefinitions for clusters that
// keep them in the API: the +kubebuilder markers on them are read by
// controller-gen (`make generate`), which writes config/crd/. No DeepCopy
// methods are generated: nothing here is registered in a runtime.Scheme.
//
// +groupName=nephoran.com
package v1

// Group and Version of every kind in this package.
const (
	Group      = "nephoran.com"
	Version    = "v1"
	APIVersion = Group + "/" + Version
)

// Kinds of this API group.
const (
	KindCNFDeployment = "CNFDeployment"
	KindCNFIntent     = "CNFIntent"
)
