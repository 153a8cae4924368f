#!/usr/bin/env bash
# `dvc repro` of the pipeline, as CI runs it. CXR_GATE_OVERRIDES (e.g. "gate.min_test_auc=1.0",
# space-separated) tightens quality-gate bounds in conf/config.yaml first: how CI proves that a
# failing gate fails the job. A failed gate makes `dvc repro` (and this script) fail at evaluate.
set -euo pipefail
cd "$(dirname "$0")/.."
for o in ${CXR_GATE_OVERRIDES:-}; do
  key=${o%%=*}; value=${o#*=}
  case "$key" in
    gate.*) ;;
    *) echo "ci-repro.sh: only gate.* overrides, not '$key'" >&2; exit 2 ;;
  esac
  name=${key#gate.}
  grep -qE "^  $name:" conf/config.yaml || { echo "ci-repro.sh: no key $key in conf/config.yaml" >&2; exit 2; }
  sed -i -E "s/^(  $name:) *[^ #]+/\1 $value/" conf/config.yaml
  echo "gate override: $key=$value"
done
.venv/bin/dvc repro
