#!/usr/bin/env bash
# cxr's benchmarks in one command (see README, "Benchmarks"):
#   benchmarks/run.sh            full run: JMH (all benchmarks) + compare.py (Pillow, OpenCV,
#                                PyTorch on the same files and tensors), ~40 min on 2 cores
#   benchmarks/run.sh --smoke    one short iteration of every benchmark + the decode comparison
#                                (what .ci/run does, so the benchmarks never rot), ~4 min
# Options: --only REGEX (JMH benchmarks to run), --no-compare, --no-build, --python PATH,
#          -P<profile> (Maven profile, e.g. -Ponednn or -Pcuda), -- <extra JMH arguments>.
# Output: benchmarks/target/results/jmh.json (JMH's JSON) and comparison.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
smoke=0 compare=1 build=1 only="" python="" mvn_profiles=() jmh_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --no-compare) compare=0 ;;
    --no-build) build=0 ;;
    --only) only=$2; shift ;;
    --python) python=$2; shift ;;
    -P*) mvn_profiles+=("$1") ;;
    --) shift; jmh_extra=("$@"); break ;;
    *) echo "benchmarks/run.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
  shift
done
export CXR_SHARED_DATA=${CXR_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}
if [ ! -d "$CXR_SHARED_DATA/chest_xray_224" ]; then
  echo "benchmarks/run.sh: $CXR_SHARED_DATA/chest_xray_224 not found (set CXR_SHARED_DATA)" >&2
  exit 2
fi
out=benchmarks/target/results
export CXR_BENCH_INPUTS=$root/benchmarks/target/bench-inputs
mkdir -p "$out" "$CXR_BENCH_INPUTS"

if [ "$build" = 1 ]; then
  echo "== build (cxr-core, cxr-cli, benchmarks) ${mvn_profiles[*]:-}"
  ./mvnw -B -q ${mvn_profiles[@]+"${mvn_profiles[@]}"} package -DskipTests -pl benchmarks,cli -am
elif [ ! -f benchmarks/target/classpath.txt ] || [ ! -f cli/target/cxr.jar ]; then
  echo "benchmarks/run.sh: --no-build but benchmarks/target/classpath.txt or cli/target/cxr.jar missing" >&2
  exit 2
fi
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"

echo "== inputs -> $CXR_BENCH_INPUTS"
java -cp "$cp" io.cxr.bench.Inputs "$CXR_BENCH_INPUTS"

jmh=()
if [ "$smoke" = 1 ]; then
  # one short iteration each, prepare on a subset: proves every benchmark still runs
  jmh=(-f 1 -wi 0 -i 1 -w 1s -r 1s -p maxPerClass=60)
fi
echo "== JMH ${only:-all benchmarks} ${jmh[*]:-} ${jmh_extra[*]:-}"
java -cp "$cp" org.openjdk.jmh.Main -foe true ${jmh[@]+"${jmh[@]}"} -rf json -rff "$out/jmh.json" \
  ${jmh_extra[@]+"${jmh_extra[@]}"} ${only:+"$only"}

if [ "$compare" = 1 ]; then
  if [ -z "$python" ]; then
    if [ "$smoke" = 1 ]; then
      ./scripts/venv.sh >/dev/null && python=.venv/bin/python
    else
      ./scripts/venv.sh benchmarks/requirements.txt .venv-bench && python=.venv-bench/bin/python
    fi
  fi
  echo "== comparison with Python tools ($python)"
  args=(--inputs "$CXR_BENCH_INPUTS" --jmh "$out/jmh.json" --out "$out"
        --cxr-jar cli/target/cxr.jar --source "$CXR_SHARED_DATA/chest_xray_224")
  [ "$smoke" = 1 ] && args+=(--smoke)
  "$python" benchmarks/compare.py "${args[@]}"
fi
