# Sourced by benchmarks/profile.sh and benchmarks/suspects.sh: builds the benchmarks module, writes
# the shared inputs (the real X-ray tensors at 64 and 128 px) and makes sure the PyTorch venv is
# there (unless CXR_BENCH_TORCH=0). Sets: root (the checkout, also the working directory), cp (the
# benchmarks' classpath), CXR_SHARED_DATA and CXR_BENCH_INPUTS.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CXR_SHARED_DATA=${CXR_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}
export CXR_BENCH_INPUTS=$root/benchmarks/target/bench-inputs
mkdir -p "$CXR_BENCH_INPUTS"
./mvnw -B -q package -DskipTests -pl benchmarks -am
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
java -cp "$cp" io.cxr.bench.Inputs "$CXR_BENCH_INPUTS" >/dev/null
# the PyTorch side: CXR_BENCH_TORCH=0 for a script that measures DL4J alone
[ "${CXR_BENCH_TORCH:-1}" = 0 ] || [ -x .venv-bench/bin/python ] \
  || scripts/venv.sh benchmarks/requirements.txt .venv-bench
