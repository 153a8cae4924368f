#!/usr/bin/env bash
# Runs jobs of .github/workflows/ci.yml under act against the local Docker engine, on the runner
# image docker/ci-runner.Dockerfile (act can run only actions/checkout here: the workflow skips its
# setup steps under act, and the image has the tools). Exit status: the jobs'.
#   scripts/act.sh                 lint and pipeline (the pull-request report included)
#   scripts/act.sh lint test pipeline
#   scripts/act.sh --expect-failure pipeline --var CXR_GATE_OVERRIDES=gate.min_test_auc=1.0 \
#     --var "CXR_TRAIN_OVERRIDES=train.epochs=2 train.ensemble=1"
# The real data ($CXR_SHARED_DATA, default ../shared/data) is mounted read-only where the
# workflow looks for it; ~/.m2 and the pip cache are shared with the host to save downloads, and
# the DVC cache so that what a job trains lands in the host's cache too.
set -euo pipefail
cd "$(dirname "$0")/.."
expect=success
if [ "${1:-}" = --expect-failure ]; then expect=failure; shift; fi
jobs=() extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --var|--env) extra+=("$1" "$2"); shift ;;
    *) jobs+=("$1") ;;
  esac
  shift
done
[ ${#jobs[@]} -gt 0 ] || jobs=(lint pipeline)
./scripts/venv.sh requirements-ci.txt .venv-ci >/dev/null
scripts/docker-build.sh ci-runner >/dev/null
shared_data=$(cd "${CXR_SHARED_DATA:-../shared/data}" && pwd)
work=$(pwd)
event=$(mktemp /tmp/cxr-act-event.XXXXXX.json)
trap 'rm -f "$event"' EXIT
echo '{"act": true}' > "$event"
mkdir -p "$HOME/.m2" "$HOME/.cache/pip" .dvc/cache
# act fetches every action a job names, even a step its `if` skips, and nothing but checkout can
# be fetched here: each one (but checkout, which act does itself) maps to an empty local stand-in
stubs=$(mktemp -d /tmp/cxr-act-stubs.XXXXXX)
trap 'rm -f "$event"; rm -rf "$stubs"' EXIT
local_repos=()
for ref in $(grep -ohE 'uses: *[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}' .github/workflows/*.yml \
             | sed 's/uses: *//' | grep -v '^actions/checkout@' | sort -u); do
  d=$stubs/$(echo "$ref" | tr '/@' '__')
  mkdir -p "$d"
  printf 'name: stand-in\ndescription: skipped under act\nruns:\n  using: composite\n  steps: []\n' > "$d/action.yml"
  local_repos+=(--local-repository "$ref=$d")
done
status=0
for job in "${jobs[@]}"; do
  start=$(date +%s)
  if .venv-ci/bin/act push -W .github/workflows/ci.yml -j "$job" -e "$event" \
      -P ubuntu-latest=cxr/ci-runner:bookworm --pull=false --network host --rm \
      --container-options "-v $HOME/.m2:/root/.m2 -v $HOME/.cache/pip:/root/.cache/pip -v $shared_data:$(dirname "$work")/shared/data:ro -v $work/.dvc/cache:$work/.dvc/cache" \
      "${local_repos[@]}" ${extra[@]+"${extra[@]}"}; then
    result=success
  else
    result=failure
  fi
  echo "act: job $job: $result in $(( $(date +%s) - start )) s (expected $expect)"
  [ "$result" = "$expect" ] || status=1
done
exit $status
