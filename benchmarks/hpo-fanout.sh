#!/usr/bin/env bash
# Issue 33's measurement, without Airflow: trials per hour of a fanned-out search
# (`cxr optimize --plan / --trial N / --select`) with one worker (the trials one after another)
# and with two (two trial processes at a time, each lane taking the next trial when free), each trial one thread (OMP_NUM_THREADS=1,
# OPENBLAS_NUM_THREADS=1: what the cxr_hpo DAG gives a trial container). The same plan both times
# (same seed: the same candidates), pruning off so that both run the same epochs.
#   benchmarks/hpo-fanout.sh [out-dir] [trials] [epochs]   (default benchmarks/target/hpo-fanout, 6, 3)
# Needs the jar (make jar) and the shared PneumoniaMNIST npz (CXR_SHARED_DATA or ../shared/data).
# Run it on an otherwise idle machine: it measures speed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-benchmarks/target/hpo-fanout}" && cd "${1:-benchmarks/target/hpo-fanout}" && pwd)
trials=${2:-6}
epochs=${3:-3}
jar=$PWD/cli/target/cxr.jar
npz=${CXR_SHARED_DATA:-$PWD/../shared/data}/pneumoniamnist/pneumoniamnist.npz
[ -f "$jar" ] || { echo "hpo-fanout.sh: no $jar (make jar)" >&2; exit 2; }
[ -f "$npz" ] || { echo "hpo-fanout.sh: no $npz (set CXR_SHARED_DATA)" >&2; exit 2; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
overrides=("hpo.trials=$trials" "train.epochs=$epochs" "hpo.pruning.enabled=false")

cxr() { java -jar "$jar" "$@" --quiet "${overrides[@]}"; }

run() { # run <workers>: plan, the trials in <workers> lanes, select; prints the seconds
  local workers=$1 dir="$out/workers-$1"
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  java -jar "$jar" prepare --source "$npz" --quiet >/dev/null
  cxr optimize --plan >/dev/null
  local t0
  t0=$(date +%s.%N)
  # a queue, as Airflow's workers take mapped tasks: a free lane starts the next trial
  seq 1 "$trials" | xargs -P "$workers" -I{} \
    java -jar "$jar" optimize --trial {} --quiet "${overrides[@]}" >trials.log 2>&1
  local t1
  t1=$(date +%s.%N)
  cxr optimize --select >select.log 2>&1
  cd - >/dev/null
  python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1"
}

one=$(run 1)
two=$(run 2)
python3 - "$one" "$two" "$trials" "$epochs" "$out" <<'EOF'
import json, sys
one, two, trials, epochs, out = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = {
    "trials": trials, "epochs": epochs, "threads_per_trial": 1,
    "seconds_1_worker": round(one, 1), "seconds_2_workers": round(two, 1),
    "trials_per_hour_1_worker": round(trials * 3600 / one, 1),
    "trials_per_hour_2_workers": round(trials * 3600 / two, 1),
    "speedup": round(one / two, 2),
}
open(f"{out}/results.json", "w").write(json.dumps(r, indent=2) + "\n")
print(json.dumps(r))
EOF
