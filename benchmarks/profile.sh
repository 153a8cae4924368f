#!/usr/bin/env bash
# Issue 16, "profile, don't guess": one training step of the benchmark CNN (batch 32) in DL4J and
# in PyTorch on the same tensors, broken down by op; 64 and 128 px, 2 threads.
#   benchmarks/profile.sh [out-dir]     (default benchmarks/target/profile; needs .venv-bench)
# DL4J: io.cxr.bench.TrainingProfile (wall time per step, forward vs backward + update, ND4J's op
# profiler with elapsed times). PyTorch: benchmarks/profile_torch.py (torch.profiler, self CPU
# time per op and per group). Raw outputs land in the out-dir; the summary table is in the README.
set -euo pipefail
out=${1:-benchmarks/target/profile}
# shellcheck source=benchmarks/setup.sh
source "$(dirname "$0")/setup.sh"
mkdir -p "$out"
for threads in 2 1; do
  for size in 64 128; do
    OMP_NUM_THREADS=$threads java -Xmx4g -cp "$cp" io.cxr.bench.TrainingProfile "$size" 40 \
      >"$out/dl4j-${size}px-${threads}t.txt" 2>&1
    OMP_NUM_THREADS=$threads .venv-bench/bin/python benchmarks/profile_torch.py \
      "$CXR_BENCH_INPUTS/x_$size.npy" "$CXR_BENCH_INPUTS/y.npy" "$size" 40 \
      >"$out/pytorch-${size}px-${threads}t.txt" 2>&1
    grep -h '^step_ms\|^PROFILE_JSON' "$out/dl4j-${size}px-${threads}t.txt" \
      "$out/pytorch-${size}px-${threads}t.txt" | sed "s/^/${size}px ${threads}t: /"
  done
done
