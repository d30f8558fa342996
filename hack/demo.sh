#!/usr/bin/env bash
# make demo: the package pipeline on the embedded blueprints, in a scratch Git
# repository. (The closed loop from a RAN signal to a proposal lands with the
# watcher issues; until then the demo shows the change that loop will commit.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nephoran="$root/bin/nephoran"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$root/blueprints" "$work/"
cd "$work"
git init -q && git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "blueprints as committed"

echo "== 1. nephoran render: every blueprint re-renders to exactly what is committed"
"$nephoran" render $(dirname blueprints/*/Kptfile) >/dev/null
if [ -n "$(git status --porcelain)" ]; then git status --short; echo "blueprints are not rendered as committed" >&2; exit 1; fi
echo "   no file changed"

echo
echo "== 2. a scale-out intent on the UPF (what a firing rule will propose)"
"$nephoran" intent blueprints/upf --action scale_out --reason "PRB utilization 0.91 > 0.85 for 3 windows" \
  --source upf-prb-scaling --id demo-upf-scale-out-1
echo
git --no-pager diff --stat
git --no-pager diff -- blueprints/upf/cnf.yaml blueprints/upf/deployment.yaml

echo
echo "== 3. a mistake is refused with the file and the field"
sed -i 's#image: .*#image: registry.example.com/core/upf:latest#' blueprints/upf/cnf.yaml
if "$nephoran" validate blueprints/upf; then echo "validation should have failed" >&2; exit 1; fi
