#!/usr/bin/env bash
# Issue 16, memory: peak resident set size of `cxr train` (one epoch) on the whole Kermany train
# folder prepared at 64, 128 and 224 px, as a user runs it (java -jar, the JVM's default heap
# limit, or JAVA_OPTS), measured by GNU time's "maximum resident set size".
#   benchmarks/memory.sh [out-dir] [sizes...]   (default benchmarks/target/memory; 64 128 224)
# One network (train.ensemble=1: an ensemble trains its members one after the other, each with the
# same peak). CXR_TRAIN_ARGS adds config overrides, e.g. CXR_TRAIN_ARGS="train.batch_size=16".
# Needs the jar (./mvnw -B package -DskipTests) and ../shared/data; takes about 10 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-benchmarks/target/memory}
shift || true
sizes=("${@:-64 128 224}")
read -ra sizes <<<"${sizes[*]}"
jar=${CXR_JAR:-cli/target/cxr.jar}
kermany=${CXR_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}/chest_xray_224/train
mkdir -p "$out"
results="$out/results.txt"
: >"$results"
for size in "${sizes[@]}"; do
  w="$out/$size"
  iso=(paths.prepared="$w/prepared" paths.models="$w/models" paths.artifacts="$w/artifacts"
    paths.reports="$w/reports" tracking.local_dir="$w/mlruns" tracking.uri=)
  if [[ ! -f "$w/prepared/manifest.json" ]]; then
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
    java ${JAVA_OPTS:-} -jar "$jar" prepare --quiet --source "$kermany" \
      data.folder_image_size="$size" "${iso[@]}" >/dev/null
  fi
  rm -rf "$w/models" "$w/artifacts" "$w/mlruns"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M %e" -o "$w/time.txt" java ${JAVA_OPTS:-} -jar "$jar" train \
    train.epochs=1 train.ensemble=1 ${CXR_TRAIN_ARGS:-} "${iso[@]}" >"$w/train.log" 2>&1
  read -r kib secs <"$w/time.txt"
  n=$(grep -o '"count" : [0-9]*' "$w/prepared/manifest.json" | head -1 | grep -o '[0-9]*$')
  line="size=$size train_images=$n peak_rss_mib=$((kib / 1024)) seconds=$secs java_opts='${JAVA_OPTS:-}' train_args='${CXR_TRAIN_ARGS:-}'"
  echo "$line" | tee -a "$results"
done
