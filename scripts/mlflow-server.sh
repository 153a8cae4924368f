#!/usr/bin/env bash
# Starts the project's pinned MLflow tracking server on 127.0.0.1 (foreground; Ctrl-C stops it):
# SQLite backend and served artifacts under .mlflow/ (or $MLFLOW_DIR).
#   scripts/mlflow-server.sh [port]          then: export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-5000}
dir=${MLFLOW_DIR:-.mlflow}
./scripts/venv.sh
mkdir -p "$dir/artifacts"
echo "MLflow $(.venv/bin/mlflow --version | awk '{print $NF}') on http://127.0.0.1:$port (store: $dir)"
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
exec .venv/bin/mlflow server --host 127.0.0.1 --port "$port" \
  --backend-store-uri "sqlite:///$(cd "$dir" && pwd)/mlflow.db" \
  --artifacts-destination "$(cd "$dir" && pwd)/artifacts" --serve-artifacts --workers 1
