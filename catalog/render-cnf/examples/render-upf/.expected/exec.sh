#!/usr/bin/env bash
# kpt and the function binaries are on PATH (make test puts bin/ there; so does catalog_test.go).
set -eu
kpt fn eval . --exec render-cnf --results-dir ../results
