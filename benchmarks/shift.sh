#!/usr/bin/env bash
# Issue 28: the folder default, trained as a user trains it, and its figures in and out of
# distribution. Prepares the Kermany train folder with the external half of the official test
# split as data.external, trains the default config (conf/config.yaml, its ensemble included)
# under GNU time (wall seconds, peak RSS), then scores PneumoniaMNIST's test split (all 624
# official test images at 28 px, this half included: not an independent check) with evaluate.
#   benchmarks/shift.sh [out-dir] [key=value ...]   (default benchmarks/target/shift)
# Needs the jar (./mvnw -B package -DskipTests) and ../shared/data; about 20 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-benchmarks/target/shift}
shift || true
jar=${CXR_JAR:-cli/target/cxr.jar}
data=${CXR_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}
external="$data/chest_xray_224_external/val"
mkdir -p "$out"
iso=(paths.prepared="$out/prepared" paths.models="$out/models" paths.artifacts="$out/artifacts"
  paths.reports="$out/reports" tracking.local_dir="$out/mlruns" tracking.uri=
  "data.external=[$external]" "$@")
java -jar "$jar" prepare --source "$data/chest_xray_224" "${iso[@]}" | tee "$out/prepare.log"
rm -rf "$out/models" "$out/artifacts" "$out/mlruns"
/usr/bin/time -f "%M %e" -o "$out/time.txt" java -jar "$jar" train "${iso[@]}" 2>&1 |
  tee "$out/train.log"
read -r kib secs <"$out/time.txt"
# exit 1 is a failed gate: the figures are what this script is for
java -jar "$jar" evaluate --data "$data/pneumoniamnist/pneumoniamnist.npz" \
  paths.reports="$out/reports-pneumoniamnist" "${iso[@]}" >"$out/evaluate-pneumoniamnist.log" 2>&1 ||
  [ $? -eq 1 ]
python3 - "$out" "$kib" "$secs" <<'EOF'
import json, sys
out, kib, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
m = json.load(open(f"{out}/models/metrics.json"))
p = json.load(open(f"{out}/reports-pneumoniamnist/evaluation.json"))
pm = p.get("metrics", p)
rows = [("validation (carved from train)", "val"), ("test (carved from train)", "test"),
        ("external half (data.external)", "external")]
print("| set | accuracy | AUC | specificity | sensitivity | ECE |")
print("|---|---:|---:|---:|---:|---:|")
for name, k in rows:
    print(f"| {name} | {m[k+'_accuracy']:.3f} | {m[k+'_auc']:.3f} | {m[k+'_specificity']:.3f} "
          f"| {m[k+'_sensitivity']:.3f} | {m[k+'_ece']:.3f} |")
print(f"| PneumoniaMNIST test, 624 (not independent) | {pm['test_accuracy']:.3f} | "
      f"{pm['test_auc']:.3f} | {pm['test_specificity']:.3f} | {pm['test_sensitivity']:.3f} | "
      f"{pm['test_ece']:.3f} |")
print(f"\ntrain wall {secs:.0f} s, peak RSS {kib // 1024} MiB, threshold {m['threshold']:.4f}")
EOF
