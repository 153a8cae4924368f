#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer) of cxr's readers of untrusted files: the .npy and .npz readers,
# the image decoder, the config loader and the model-bundle reader. Each target must answer any
# input with a result or cxr's one-line CxrException; any other exception, an OutOfMemoryError
# (heap capped at 1 GiB), a native crash, RSS above 3 GiB or an input taking over 10 s is a
# finding: its input is written to core/target/fuzz/findings and the script exits 1.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default 10 s, every target)
#
# .ci/run runs it for a few seconds per target; the long run is by hand (e.g. 600). The corpus
# grows in core/target/fuzz/corpus/<target> across runs; the starting seeds are written from the
# real data by FuzzSeeds, beside the committed regression inputs in core/src/test/resources
# (which `mvn test` replays). Executions per target go to core/target/fuzz/runs.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true
all=(data.NpyFuzzTest data.NpzSourceFuzzTest data.ImageDecoderFuzzTest
  config.ConfigLoaderFuzzTest model.ModelBundleFuzzTest)
targets=("${@:-${all[@]}}")
[ $# -gt 0 ] && targets=("$@")
[ $# -eq 0 ] && targets=("${all[@]}")

out=core/target/fuzz
mkdir -p "$out/corpus" "$out/findings"
./mvnw -B -q -pl core test-compile
./mvnw -B -q -pl core dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/fuzz/classpath.txt >/dev/null
cp="$PWD/core/target/test-classes:$PWD/core/target/classes:$(cat "$out/classpath.txt")"
export OMP_NUM_THREADS=1 LC_ALL=C.UTF-8
# seeds are written from the real data, from core/ (FuzzSeeds reads ../conf/config.yaml)
(cd core && java -cp "$cp" io.cxr.core.FuzzSeeds target/fuzz/seeds >/dev/null)

status=0
printf 'target\tseconds\texecutions\texec_per_s\tresult\n' >"$out/last.tsv"
for t in "${targets[@]}"; do
  cls="io.cxr.core.$t"
  method=$(grep -o 'void [A-Za-z]*OrRefusesWithOneLine' "core/src/test/java/io/cxr/core/${t//.//}.java" |
    head -1 | cut -d' ' -f2)
  pkgdir=$(dirname "${t//.//}")
  name=${t##*.}
  corpus="$out/corpus/$t"
  mkdir -p "$corpus"
  seeds=("$out/seeds/$cls/$method")
  committed="core/src/test/resources/io/cxr/core/$pkgdir/${name}Inputs/$method"
  [ -d "$committed" ] && seeds+=("$committed")
  includes='io.cxr.**'
  [ "$t" = config.ConfigLoaderFuzzTest ] &&
    includes='io.cxr.**:com.fasterxml.jackson.**:org.yaml.snakeyaml.**'
  [ "$t" = data.NpzSourceFuzzTest ] || [ "$t" = model.ModelBundleFuzzTest ] &&
    includes='io.cxr.**:org.deeplearning4j.util.**:org.nd4j.linalg.factory.**'
  log="$out/$t.log"
  set +e
  java -Xmx1g -Xss4m -Dorg.bytedeco.javacpp.maxbytes=2G -cp "$cp" com.code_intelligence.jazzer.Jazzer \
    --target_class="$cls" --target_method="$method" --instrumentation_includes="$includes" \
    --reproducer_path="$out/findings" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -max_len=65536 \
    -artifact_prefix="$out/findings/$t-" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | cut -d' ' -f2 || true)
  runs=${runs:-0}
  if [ $rc -eq 0 ]; then result=ok; else result="FINDING (exit $rc, see $log)"; status=1; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "$runs" "$((runs / (seconds > 0 ? seconds : 1)))" \
    "$result" | tee -a "$out/last.tsv"
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" "$runs" "$result" >>"$out/runs.tsv"
done
column -t -s $'\t' "$out/last.tsv"
exit $status
