#!/usr/bin/env bash
# `make ci`: the steps of .github/workflows/ci.yml, in its order, on this machine (no act, no
# containers for the jobs), so that CI and a developer agree:
#   lint (Spotless, actionlint) -> test (Java, DAG tests) -> pipeline (data validation, dvc repro
#   with the quality gate, post-train tests, the report) -> bench (smoke run, ratio check) ->
#   the container end-to-end test (the image job's counterpart here).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-true} DVC_NO_ANALYTICS=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
export CXR_SHARED_DATA=${CXR_SHARED_DATA:-$(cd ../shared/data && pwd)}
step() { echo; echo "== ci: $*"; }
step lint;            make lint; scripts/actionlint.sh
step test;            scripts/ci-data.sh; scripts/test.sh java; scripts/test.sh dags
step pipeline;        make install; make test-data; scripts/ci-repro.sh; make test-post
step report;          scripts/ci-report.sh "${BASE:-HEAD~1}" reports/ci-report.md
                      python3 scripts/check_report.py reports/ci-report.md
step bench;           benchmarks/run.sh --smoke --no-build
                      .venv/bin/python benchmarks/check_ratios.py \
                        benchmarks/target/results/comparison.json \
                        --min cxr_vs_pillow=1.2 --min cxr_vs_cv2_area=0.8
step containers;      scripts/test.sh e2e
