#!/usr/bin/env bash
# The pull-request report, made from cxr's own outputs after `dvc repro`:
#   scripts/ci-report.sh <base-rev> <out.md>
# cxr's evaluation report (metrics, confusion, quality gate), the change against <base-rev>
# (dvc metrics diff, dvc params diff), and the plots, copied beside the Markdown so that its image
# links resolve (CML uploads them with --publish).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?base revision}
out=${2:?output file}
dir=$(dirname "$out")
img=$(basename "$out" .md)-images
mkdir -p "$dir/$img"
[ -f reports/evaluation.md ] || { echo "ci-report.sh: reports/evaluation.md missing (run dvc repro)" >&2; exit 2; }
exp=$(sed -n 's/^  name: *\([^ #]*\).*/\1/p' conf/config.yaml | head -n1)
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  echo "# cxr CI report"
  echo
  echo "Commit \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`, compared with \`$base\`."
  echo
  # cxr's evaluation report without its title and its own plot section
  sed -e '1{/^# /d}' -e '/^## Plots/,$d' reports/evaluation.md | sed 's/^## /### /; 1s/^/## Evaluation (cxr evaluate)\n/'
  echo
  echo "## Change against \`$base\`"
  echo
  echo "### Metrics"
  echo
  if git rev-parse --verify -q "$base^{commit}" >/dev/null; then
    .venv/bin/dvc metrics diff "$base" --md 2>/dev/null || echo "(dvc metrics diff failed)"
    echo
    echo "### Params"
    echo
    .venv/bin/dvc params diff "$base" --md 2>/dev/null || echo "(dvc params diff failed)"
  else
    echo "(base \`$base\` not in this clone: no diff)"
  fi
  echo
  echo "## Plots"
  echo
  for f in "artifacts/$exp/confusion_matrix.png:Test confusion matrix" \
           "artifacts/$exp/roc_curve.png:ROC curves (validation, test)" \
           "artifacts/$exp/training_curves.png:Training curves" \
           "artifacts/$exp/reliability.png:Reliability diagram (test)"; do
    src=${f%%:*}; title=${f#*:}
    if [ -f "$src" ]; then
      cp "$src" "$dir/$img/"
      echo "![$title]($img/$(basename "$src"))"
      echo
    fi
  done
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(grep -c '^!\[' "$out") plots)"
