#!/usr/bin/env bash
# Issue 34's first measurement: which oneDNN primitives libnd4j (ND4J's oneDNN build) runs for a
# training step of the benchmark CNN, with which implementation and on which memory layout, and
# how much of the time goes to layout conversions (reorders). oneDNN's own verbose mode
# (DNNL_VERBOSE=1) times every primitive; benchmarks/onednn_verbose.py sums them per step.
#   benchmarks/onednn-verbose.sh [out-dir] [steps]   (default benchmarks/target/onednn-verbose, 20)
# 64 and 128 px, batch 32, 2 threads. Verbose timing adds a little overhead per call: the step
# times printed are for comparison between layers, not the benchmark's figure.
set -euo pipefail
out=${1:-benchmarks/target/onednn-verbose}
steps=${2:-20}
# shellcheck source=benchmarks/setup.sh
CXR_BENCH_TORCH=0 source "$(dirname "$0")/setup.sh"
mkdir -p "$out"
for size in 64 128; do
  DNNL_VERBOSE=1 OMP_NUM_THREADS=2 java -Xmx4g -cp "$cp" io.cxr.bench.FitSteps "$size" "$steps" \
    >"$out/verbose-${size}px.log" 2>&1
  total=$(sed -n 's/^steps=\([0-9]*\).*/\1/p' "$out/verbose-${size}px.log")
  grep '^steps=' "$out/verbose-${size}px.log"
  python3 benchmarks/onednn_verbose.py "$out/verbose-${size}px.log" "$total" | tee "$out/summary-${size}px.md"
done
