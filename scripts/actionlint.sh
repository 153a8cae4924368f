#!/usr/bin/env bash
# actionlint on every workflow, installed from the Go module proxy into .tools/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
if [ ! -x .tools/actionlint ] || ! .tools/actionlint -version 2>/dev/null | grep -q "${version#v}"; then
  command -v go >/dev/null || { echo "actionlint.sh: go missing (apt-get install golang-go)" >&2; exit 2; }
  GOBIN=$PWD/.tools go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
.tools/actionlint
echo "actionlint $version: $(ls .github/workflows/*.yml | wc -l) workflows clean"
