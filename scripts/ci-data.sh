#!/usr/bin/env bash
# The real data the tests and the pipeline read, in $CXR_SHARED_DATA (chest_xray_224/ and
# pneumoniamnist/): kept as it is when present (these machines, act), else pulled from the DVC
# remote named by DVC_REMOTE_URL (credentials in AWS_* from repository secrets), else PneumoniaMNIST
# from Zenodo with `cxr download` (the Kermany 224 px set has no public source at that size: the
# Java tests that need it then fail under CI=true, saying which folder is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CXR_SHARED_DATA:?set CXR_SHARED_DATA}"
have() { [ -f "$CXR_SHARED_DATA/pneumoniamnist/pneumoniamnist.npz" ] && [ -d "$CXR_SHARED_DATA/chest_xray_224/train" ]; }
if have; then
  echo "data: $CXR_SHARED_DATA"
  exit 0
fi
mkdir -p "$CXR_SHARED_DATA"
if [ -n "${DVC_REMOTE_URL:-}" ]; then
  ./scripts/venv.sh
  .venv/bin/pip install -q 'dvc[s3]==3.67.1'
  .venv/bin/dvc get-url "$DVC_REMOTE_URL/shared-data/" "$CXR_SHARED_DATA/"
else
  ./mvnw -B -q package -DskipTests
  java -jar cli/target/cxr.jar download --dataset pneumoniamnist download.target="$CXR_SHARED_DATA/pneumoniamnist"
fi
have || { echo "ci-data.sh: $CXR_SHARED_DATA still lacks pneumoniamnist/pneumoniamnist.npz or chest_xray_224/train" >&2; exit 1; }
