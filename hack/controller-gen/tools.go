//go:build tools

// Package tools pins sigs.k8s.io/controller-tools so that `go build
// sigs.k8s.io/controller-tools/cmd/controller-gen` resolves inside this
// module.
package tools

import _ "sigs.k8s.io/controller-tools/cmd/controller-gen"
