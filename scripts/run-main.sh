#!/usr/bin/env bash
# The main job: prepare, train and evaluate on data found locally, or downloaded when none is.
#   scripts/run-main.sh [key=value ...]        (overrides go to every stage)
# Environment: CXR_SOURCE (a Kermany folder or .npz), CXR_MODEL (cnn | dense, default cnn).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=cli/target/cxr.jar
if [ ! -f "$jar" ]; then
  ./mvnw -B -q package -DskipTests
fi
cxr() { java -jar "$jar" "$@"; }
src=${CXR_SOURCE:-}
if [ -z "$src" ]; then
  for candidate in ../shared/data/pneumoniamnist/pneumoniamnist.npz \
                   data/raw/pneumoniamnist/pneumoniamnist.npz; do
    if [ -f "$candidate" ]; then src=$candidate; break; fi
  done
fi
if [ -z "$src" ]; then
  cxr download --dataset pneumoniamnist "$@"
  src=data/raw/pneumoniamnist/pneumoniamnist.npz
fi
start=$(date +%s)
cxr prepare --source "$src" "$@"
cxr train --model "${CXR_MODEL:-cnn}" "$@"
status=0
cxr evaluate "$@" || status=$?
echo "main job finished in $(( $(date +%s) - start )) s (evaluate exit $status: 0 = gate passed)"
exit $status
