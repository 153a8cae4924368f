#!/usr/bin/env bash
# Every test, as CI runs them (the README's test command):
#   1. the Java tests: unit, real-data, end-to-end and the jar's integration tests (real MLflow
#      and DVC from the project venv .venv), `./mvnw -B verify`;
#   2. the EDA notebook (notebooks/eda.ipynb), executed end to end with nbclient in .venv on data
#      the jar prepares from the real Kermany folder;
#   3. the DAG tests against the pinned Airflow (.venv-airflow, requirements-airflow.txt);
#   4. the container end-to-end test: trainer image from Dockerfile.gpu, the compose stack, the
#      DAG run twice through Airflow's REST API (needs a running Docker engine; under CI=true a
#      missing engine is a failure, elsewhere the test is skipped).
# `scripts/test.sh java|notebook|dags|e2e` runs one part (notebook needs the jar of `java`).
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
if [ "$part" = all ] || [ "$part" = java ]; then
  ./scripts/venv.sh
  ./mvnw -B verify
fi
if [ "$part" = all ] || [ "$part" = notebook ]; then
  ./scripts/venv.sh
  .venv/bin/python -m pytest -q -p no:cacheprovider notebooks/tests/test_eda.py
fi
if [ "$part" = all ] || [ "$part" = dags ] || [ "$part" = e2e ]; then
  ./scripts/venv.sh requirements-airflow.txt .venv-airflow
fi
if [ "$part" = all ] || [ "$part" = dags ]; then
  .venv-airflow/bin/pytest -q -p no:cacheprovider dags/tests/test_dag.py
fi
if [ "$part" = all ] || [ "$part" = e2e ]; then
  .venv-airflow/bin/pytest -q -s -p no:cacheprovider dags/tests/test_e2e.py dags/tests/test_newcomer.py
fi
