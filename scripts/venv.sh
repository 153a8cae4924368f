#!/usr/bin/env bash
# Creates (or refreshes) the project-local Python venv ./.venv with the pinned tools of
# requirements-dev.txt. Idempotent: a venv whose requirements have not changed is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! "$py" -m venv --help >/dev/null 2>&1; then
  echo "scripts/venv.sh: '$py -m venv' is unavailable (apt-get install python3-venv)" >&2
  exit 1
fi
"$py" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$want" > "$stamp"
echo "venv ready: $(.venv/bin/python --version), $(.venv/bin/python -c 'import numpy; print("numpy", numpy.__version__)')"
