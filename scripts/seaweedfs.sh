#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the stack's S3 store, image cxr-seaweedfs) from the Go module proxy
# into target/seaweedfs/weed, pinned by docker/seaweedfs/go.mod and go.sum. Needs Go >= 1.21 on
# this machine (a newer toolchain is fetched from the module proxy if go.mod asks for one). The
# first build downloads about 3.5 GB of modules into Go's module cache and compiles for about
# 5 minutes on 2 cores; later builds reuse both, and a binary newer than go.mod/go.sum is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/seaweedfs/weed
mod=docker/seaweedfs
if [ -x "$out" ] && [ "$out" -nt "$mod/go.mod" ] && [ "$out" -nt "$mod/go.sum" ]; then
  exit 0
fi
command -v go >/dev/null 2>&1 || {
  echo "seaweedfs.sh: no \`go\` on PATH; the stack's S3 store is built from the Go module proxy" \
    "(install Go >= 1.21)" >&2
  exit 2
}
mkdir -p "$(dirname "$out")"
start=$(date +%s)
echo "building SeaweedFS's weed ($(sed -n 's/^require github.com\/seaweedfs\/seaweedfs //p' $mod/go.mod)) from the Go module proxy"
(cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags='-s -w' \
  -o "../../$out.part" github.com/seaweedfs/seaweedfs/weed)
mv "$out.part" "$out"
echo "built $out in $(( $(date +%s) - start )) s: $("$out" version 2>/dev/null | head -n1)"
