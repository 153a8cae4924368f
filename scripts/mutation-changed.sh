#!/usr/bin/env bash
# PIT on the classes changed since a base commit (default: the merge base with origin/main, else
# HEAD~1), within `make mutation`'s scope, then the survivor review for those classes only.
# PIT's own incremental history now lives in a plugin that is not on Maven Central (see README,
# "Mutation testing"), so this is the way to a quick run while working: seconds for one class
# instead of minutes for all.
#
# usage: scripts/mutation-changed.sh [base-commit]
set -euo pipefail
cd "$(dirname "$0")/.."

base="${1:-}"
if [[ -z "$base" ]]; then
  base="$(git merge-base HEAD origin/main 2>/dev/null || git rev-parse HEAD~1)"
fi

# the scope of the mutation profile: its pit.targets globs in core/pom.xml
IFS=, read -ra globs <<<"$(sed -n 's:.*<pit.targets>\(.*\)</pit.targets>.*:\1:p' core/pom.xml)"

classes=()
while IFS= read -r f; do
  [[ "$f" == *.java ]] || continue
  cls="${f#core/src/main/java/}"
  cls="${cls%.java}"
  cls="${cls//\//.}"
  for g in "${globs[@]}"; do
    # shellcheck disable=SC2053 # the glob is meant to match
    if [[ "$cls" == $g ]]; then
      classes+=("$cls*")
      break
    fi
  done
done < <({ git diff --name-only "$base" -- core/src/main/java; git ls-files --others --exclude-standard core/src/main/java; } | sort -u)

if [[ ${#classes[@]} -eq 0 ]]; then
  echo "mutation-changed: no class in the mutation scope changed since ${base:0:12}"
  exit 0
fi
targets="$(IFS=,; echo "${classes[*]}")"
echo "mutation-changed: ${#classes[@]} changed classes since ${base:0:12}: $targets"
./mvnw -B -q -pl core -Pmutation test-compile org.pitest:pitest-maven:mutationCoverage \
  -Dpit.targets="$targets" -Dthreads=2
python3 scripts/pit_survivors.py --only-mutated \
  core/target/pit-reports/mutations.xml core/pit-survivors.tsv
