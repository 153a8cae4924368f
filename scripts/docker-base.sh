#!/usr/bin/env bash
# Builds the local Debian base image that Dockerfile.gpu and the compose stack build FROM, with
# debootstrap (no registry is needed: only Debian's package mirror).
#   scripts/docker-base.sh                 -> cxr/debian:bookworm (skipped if it exists)
#   scripts/docker-base.sh --force         -> rebuild it
# Environment: CXR_BASE_IMAGE (name), DEBIAN_MIRROR (default: the first deb.debian.org-style URI of
# this machine's apt sources, else http://deb.debian.org/debian).
set -euo pipefail
image=${CXR_BASE_IMAGE:-cxr/debian:bookworm}
force=${1:-}
if [ "$force" != "--force" ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image exists (scripts/docker-base.sh --force rebuilds it)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "docker-base.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
             | head -n1 | awk '{print $2}' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
rootfs=$(mktemp -d /tmp/cxr-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm from $mirror ..."
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/tmp/cxr-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/cxr-debootstrap.log >&2; exit 1; }
# the image's apt must use the same mirror; no caches or lists in the layer
echo "deb $mirror bookworm main" > "$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  -c 'ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive' -c 'CMD ["bash"]' - "$image" >/dev/null
echo "base image $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
