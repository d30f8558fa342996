// Package pipeline runs a kpt package's Kptfile pipeline in process, the way
// Porch's built-in function executors do: each image of
// ghcr.io/nephoran/<function> (any tag or digest) maps to the built-in Go
// function, mutators change the items in order, validators see a copy, and
// the package is written back only when every function succeeded.
//
// It is the engine of `nephoran render` and `nephoran intent`, and of the
// watcher's proposals, which change a package in memory before committing it.
// Any other image is an error that says to use `kpt fn render`.
package pipeline
