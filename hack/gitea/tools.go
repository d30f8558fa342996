//go:build tools

// Package tools pins code.gitea.io/gitea so that `go build
// code.gitea.io/gitea` resolves inside this module.
package tools

import _ "code.gitea.io/gitea"
