#!/usr/bin/env bash
# Installs the real Prometheus server and promtool (Debian package
# `prometheus`, 2.42 on Debian 12) if /usr/bin/prometheus is missing, and
# links both into BIN_DIR, where the tests find them (internal/testenv).
# Usage: hack/prometheus.sh [BIN_DIR]   (default bin/)
# Idempotent: with the package present it only refreshes the links. The
# package's service is not started (no init system runs here, and the tests
# start their own server on 127.0.0.1). Cold: ~10-20 s (apt-get update and
# install); warm: instant. Needs root (or sudo) for apt-get.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bin}"

if [[ ! -x /usr/bin/prometheus || ! -x /usr/bin/promtool ]]; then
	sudo=()
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null || { echo "hack/prometheus.sh: installing the prometheus package needs root or sudo" >&2; exit 1; }
		sudo=(sudo)
	fi
	echo "hack/prometheus.sh: installing the Debian package prometheus" >&2
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
fi
for tool in prometheus promtool; do
	[[ -x /usr/bin/$tool ]] || { echo "hack/prometheus.sh: /usr/bin/$tool missing after installing the package" >&2; exit 1; }
done

mkdir -p "$out"
ln -sfn /usr/bin/prometheus "$out/prometheus"
ln -sfn /usr/bin/promtool "$out/promtool"
"$out/prometheus" --version 2>&1 | head -n 1
