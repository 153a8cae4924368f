#!/usr/bin/env bash
# Issue 16, "test the named suspects": each setting in its own process (OpenMP reads its settings at
# start-up), DL4J (io.cxr.bench.Suspects) and PyTorch (benchmarks/suspects_torch.py) on the same
# real tensors and CNN as benchmarks/profile.sh. One RESULT line per run in <out-dir>/results.txt.
#   benchmarks/suspects.sh [out-dir] [round...]  (default benchmarks/target/suspects, rounds 1 2;
#   needs .venv-bench). Round 1: each suspect alone; round 2: what helped, combined and repeated,
#   and the same net in SameDiff.
# Run it on an otherwise idle machine: it measures speed.
set -euo pipefail
out=${1:-benchmarks/target/suspects}
# shellcheck source=benchmarks/setup.sh
source "$(dirname "$0")/setup.sh"
mkdir -p "$out"
shift || true
rounds=" ${*:-1 2} "
results="$out/results.txt"
touch "$results"

# dl4j <label> <env...> -- <mode> <size> <batch> <steps>   (main class: $main, default Suspects)
dl4j() {
  local label=$1
  shift
  local envs=()
  while [[ $1 != -- ]]; do
    envs+=("$1")
    shift
  done
  shift
  local line
  line=$(env "${envs[@]}" java -Xmx4g -cp "$cp" "io.cxr.bench.${main:-Suspects}" "$@" 2>"$out/last.err" |
    grep '^RESULT' || { cat "$out/last.err" >&2; exit 1; })
  line=${line/RESULT framework=samediff/RESULT}
  echo "${line/RESULT/RESULT framework=${main:-dl4j} setting=$label}" | tee -a "$results"
}

# torch <label> <threads> <flush> <mode> <size> <batch> <steps>
torch() {
  local label=$1 threads=$2 flush=$3 mode=$4 size=$5 batch=$6 steps=$7
  local line
  line=$(OMP_NUM_THREADS=$threads .venv-bench/bin/python benchmarks/suspects_torch.py "$mode" \
    "$CXR_BENCH_INPUTS/x_$size.npy" "$CXR_BENCH_INPUTS/y.npy" "$size" "$batch" "$steps" "$flush" |
    grep '^RESULT')
  echo "${line/RESULT/RESULT setting=$label}" | tee -a "$results"
}

if [[ $rounds == *" 1 "* ]]; then
for size in 64 128; do
  steps=$((size == 64 ? 60 : 30))
  # threads: libnd4j's OpenMP (libgomp) and OpenBLAS share 2 cores with the JVM
  dl4j baseline OMP_NUM_THREADS=2 -- train "$size" 32 "$steps"
  dl4j one-thread OMP_NUM_THREADS=1 -- train "$size" 32 "$steps"
  dl4j omp-spin OMP_NUM_THREADS=2 OMP_WAIT_POLICY=ACTIVE -- train "$size" 32 "$steps"
  dl4j omp-bind OMP_NUM_THREADS=2 OMP_PROC_BIND=close OMP_PLACES=cores -- train "$size" 32 "$steps"
  dl4j openblas-1 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 -- train "$size" 32 "$steps"
  torch flush 2 1 train "$size" 32 "$steps"
  torch no-flush 2 0 train "$size" 32 "$steps"
  torch one-thread 1 1 train "$size" 32 "$steps"
done
# batch size (throughput; the quality effect is in the README)
for batch in 64 128; do
  dl4j "batch-$batch" OMP_NUM_THREADS=2 -- train 64 "$batch" $((1920 / batch))
  torch "batch-$batch" 2 1 train 64 "$batch" $((1920 / batch))
done
# inference: batch 64 (evaluate) and 1 (predict on one image)
for size in 64 128; do
  for batch in 64 1; do
    dl4j "infer-$batch" OMP_NUM_THREADS=2 -- infer "$size" "$batch" $((batch == 1 ? 400 : 30))
    torch "infer-$batch" 2 1 infer "$size" "$batch" $((batch == 1 ? 400 : 30))
  done
done
fi
# round 2: the settings that helped, together and repeated; the same net in SameDiff
if [[ $rounds == *" 2 "* ]]; then
bind=(OMP_NUM_THREADS=2 OMP_PROC_BIND=close OMP_PLACES=cores)
for size in 64 128; do
  steps=$((size == 64 ? 60 : 30))
  dl4j baseline-again OMP_NUM_THREADS=2 -- train "$size" 32 "$steps"
  dl4j omp-bind-again "${bind[@]}" -- train "$size" 32 "$steps"
  dl4j bind+spin+openblas-1 "${bind[@]}" OMP_WAIT_POLICY=ACTIVE OPENBLAS_NUM_THREADS=1 -- \
    train "$size" 32 "$steps"
  dl4j bind-one-thread OMP_NUM_THREADS=1 OMP_PROC_BIND=close OMP_PLACES=cores -- \
    train "$size" 32 "$steps"
  main=SameDiffCnn dl4j samediff OMP_NUM_THREADS=2 -- train "$size" 32 "$steps"
done
dl4j omp-bind-batch-64 "${bind[@]}" -- train 64 64 30
main=SameDiffCnn dl4j samediff-infer-64 OMP_NUM_THREADS=2 -- infer 64 64 30
fi
echo "results in $results"
