#!/usr/bin/env bash
# `dvc repro` of the pipeline, as CI runs it. Two space-separated override lists tighten
# conf/config.yaml first:
#   CXR_GATE_OVERRIDES   gate.* bounds (e.g. "gate.min_test_auc=1.0"): how CI proves that a
#                        failing gate fails the job (a failed gate makes `dvc repro`, and this
#                        script, fail at evaluate);
#   CXR_TRAIN_OVERRIDES  train.epochs and train.ensemble only (e.g. "train.epochs=2
#                        train.ensemble=1"): a short training for such a drill, where the model's
#                        quality is not the point.
set -euo pipefail
cd "$(dirname "$0")/.."
override() { # <list> <allowed keys, a regex>
  local o key value name
  for o in $1; do
    key=${o%%=*}; value=${o#*=}
    [[ "$key" =~ ^($2)$ ]] || { echo "ci-repro.sh: '$key' cannot be overridden here (allowed: ${2//\\/})" >&2; exit 2; }
    name=${key#*.}
    grep -qE "^  $name:" conf/config.yaml || { echo "ci-repro.sh: no key $key in conf/config.yaml" >&2; exit 2; }
    sed -i -E "s/^(  $name:) *[^ #]+/\1 $value/" conf/config.yaml
    echo "override: $key=$value"
  done
}
override "${CXR_GATE_OVERRIDES:-}" 'gate\.[a-z_]+'
override "${CXR_TRAIN_OVERRIDES:-}" 'train\.epochs|train\.ensemble'
.venv/bin/dvc repro
