#!/usr/bin/env bash
# Creates (or refreshes) a project-local Python venv with pinned tools:
#   scripts/venv.sh                                           -> ./.venv from requirements-dev.txt
#   scripts/venv.sh benchmarks/requirements.txt .venv-bench  -> the benchmark comparison tools
# Idempotent: a venv whose requirements have not changed is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
req=${1:-requirements-dev.txt}
venv=${2:-.venv}
if [ ! -f "$req" ]; then
  echo "scripts/venv.sh: requirements file $req not found" >&2
  exit 2
fi
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! "$py" -m venv --help >/dev/null 2>&1; then
  echo "scripts/venv.sh: '$py -m venv' is unavailable (apt-get install python3-venv)" >&2
  exit 1
fi
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "venv $venv ready: $("$venv/bin/python" --version), from $req"
