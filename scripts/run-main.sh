#!/usr/bin/env bash
# The main job: prepare, train and evaluate on data found locally, or downloaded when none is.
#   scripts/run-main.sh [key=value ...]        (overrides go to every stage)
# Environment: CXR_SOURCE (a Kermany folder or .npz), CXR_MODEL (cnn | dense, default cnn),
# CXR_EXTERNAL (a folder or npz scored as data.external: other hospitals' films, never trained on;
# for a folder source it defaults to the external half of the official test split in
# ../shared/data when that is there; set it empty for none).
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
ext=${CXR_EXTERNAL-}
if [ -z "${CXR_EXTERNAL+set}" ] && [ -d "$src" ] && [ -d ../shared/data/chest_xray_224_external/val ]; then
  ext=../shared/data/chest_xray_224_external/val
fi
external=()
if [ -n "$ext" ]; then
  external=("data.external=[$ext]")
fi
start=$(date +%s)
cxr prepare --source "$src" "${external[@]}" "$@"
cxr train --model "${CXR_MODEL:-cnn}" "${external[@]}" "$@"
status=0
cxr evaluate "$@" || status=$?
echo "main job finished in $(( $(date +%s) - start )) s (evaluate exit $status: 0 = gate passed)"
exit $status
