#!/usr/bin/env bash
# Copies upstream CRDs (not retyped) from their Go modules into bin/crds/:
#   networks-crd.yaml                          Multus NetworkAttachmentDefinition
#   monitoring.coreos.com_servicemonitors.yaml  prometheus-operator ServiceMonitor
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bin/crds}"
mkdir -p "$out"

# module_dir MODULE@VERSION prints the module's extracted directory. It runs
# outside any module so no go.mod is touched.
module_dir() {
	(cd / && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1") |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# v1.7.6 is not listed by `go list -m -versions` but downloads fine.
nad="$(module_dir github.com/k8snetworkplumbingwg/network-attachment-definition-client@v1.7.6)"
install -m 0644 "$nad/artifacts/networks-crd.yaml" "$out/networks-crd.yaml"

promop="$(module_dir github.com/prometheus-operator/prometheus-operator@v0.85.0)"
install -m 0644 "$promop/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
	"$out/monitoring.coreos.com_servicemonitors.yaml"

touch "$out/.done"
