#!/usr/bin/env bash
# Issue 14: where the explanation maps of the default model put their mass (README
# "Explanations"). Prepares the whole Kermany train folder with the default config (plus
# CXR_PREPARE_ARGS, e.g. "data.crop=0" for whole images), trains the default model (an ensemble of
# 3 at 64 px: about 12 minutes on 2 cores) unless <out-dir> already holds one, then runs
# io.cxr.bench.SaliencyCheck on 100 test images (Grad-CAM and occlusion).
#   benchmarks/explain.sh [out-dir]     (default benchmarks/target/explain)
# Needs ../shared/data (or CXR_SHARED_DATA).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-benchmarks/target/explain}
kermany=${CXR_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}/chest_xray_224/train
./mvnw -B -q package -DskipTests -pl benchmarks,cli -am
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
jar=cli/target/cxr.jar
mkdir -p "$out"
iso=(paths.prepared="$out/prepared" paths.models="$out/models" paths.artifacts="$out/artifacts"
  paths.reports="$out/reports" tracking.local_dir="$out/mlruns" tracking.uri=)
if [[ ! -f "$out/models/model.zip" ]]; then
  # shellcheck disable=SC2086 # CXR_PREPARE_ARGS is a list of overrides
  java -jar "$jar" prepare --quiet --source "$kermany" ${CXR_PREPARE_ARGS:-} "${iso[@]}"
  java -jar "$jar" train "${iso[@]}" >"$out/train.log" 2>&1
  tail -n 1 "$out/train.log"
fi
java -cp "$cp" io.cxr.bench.SaliencyCheck "$out/prepared" "$out/models/model.zip" 100 \
  2>/dev/null | tee "$out/saliency.tsv"
