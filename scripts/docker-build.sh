#!/usr/bin/env bash
# Builds the trainer image from Dockerfile.gpu with the classic builder on the host network.
#   scripts/docker-build.sh                    -> cxr-trainer:cpu   (BACKEND=cpu)
#   scripts/docker-build.sh cuda               -> cxr-trainer:cuda  (BACKEND=cuda, Debian runtime base)
#   scripts/docker-build.sh cuda --build-arg RUNTIME_BASE=nvidia/cuda:11.6.2-cudnn8-runtime-ubuntu20.04
#   scripts/docker-build.sh cuda --build-arg CUDA_LIBS=maven   (CUDA libraries from Maven Central)
#   scripts/docker-build.sh stack              -> the compose services' images (docker/stack.Dockerfile):
#                                                 cxr-postgres:15, cxr-mlflow:2.22.5, cxr-airflow:3.3.2,
#                                                 cxr-redis:7, cxr-seaweedfs:4.53 (S3; its binary
#                                                 from scripts/seaweedfs.sh)
#   scripts/docker-build.sh ci-runner          -> cxr/ci-runner:bookworm, the image act runs jobs in
# Extra arguments go to `docker build`. Environment: CXR_IMAGE (repository, default cxr-trainer),
# CXR_BASE_IMAGE (default cxr/debian:bookworm, made by scripts/docker-base.sh if missing),
# CXR_DOCKER_CA=host|none: copy this machine's extra CA certificates into the build (default host
# when there are any; needed where HTTPS is intercepted; removed again after the build).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-cpu}
case "$flavour" in cpu|cuda|stack|ci-runner) shift || true;; -*) flavour=cpu;; *) echo "docker-build.sh: flavour must be cpu, cuda, stack or ci-runner, not '$flavour'" >&2; exit 2;; esac
image=${CXR_IMAGE:-cxr-trainer}:$flavour
base=${CXR_BASE_IMAGE:-cxr/debian:bookworm}
if [ "$base" = cxr/debian:bookworm ]; then scripts/docker-base.sh; fi

ca_dir=docker/ca-certificates
copied=()
cleanup() { for f in "${copied[@]}"; do rm -f "$f"; done; }
trap cleanup EXIT
if [ "${CXR_DOCKER_CA:-host}" = host ]; then
  while IFS= read -r -d '' crt; do
    dest=$ca_dir/host-$(basename "$crt")
    cp "$crt" "$dest"; copied+=("$dest")
  done < <(find /usr/local/share/ca-certificates -name '*.crt' -print0 2>/dev/null)
fi

size() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1e6}'; }
if [ "$flavour" = ci-runner ]; then
  start=$(date +%s)
  docker build --network host -f docker/ci-runner.Dockerfile --build-arg BASE="$base" \
    -t cxr/ci-runner:bookworm "$@" .
  echo "built cxr/ci-runner:bookworm in $(( $(date +%s) - start )) s: $(size cxr/ci-runner:bookworm)"
  exit 0
fi
if [ "$flavour" = stack ]; then
  scripts/seaweedfs.sh
  # target=image
  for t in postgres=cxr-postgres:15 mlflow=cxr-mlflow:2.22.5 airflow=cxr-airflow:3.3.2 \
           redis=cxr-redis:7 s3=cxr-seaweedfs:4.53; do
    start=$(date +%s)
    docker build --network host -f docker/stack.Dockerfile --target "${t%%=*}" \
      --build-arg BASE="$base" -t "${t#*=}" "$@" .
    echo "built ${t#*=} in $(( $(date +%s) - start )) s: $(size "${t#*=}")"
  done
  exit 0
fi

# the commit and its date, not the build time: an unchanged checkout rebuilds to the same image,
# every layer from the cache, and leaves no dangling image behind
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n1)
start=$(date +%s)
docker build --network host -f Dockerfile.gpu \
  --build-arg BACKEND="$flavour" \
  --build-arg BUILD_BASE="$base" --build-arg RUNTIME_BASE="$base" \
  --build-arg GIT_COMMIT="$commit" --build-arg VERSION="$version" \
  --build-arg CREATED="$(git log -1 --format=%cI 2>/dev/null || echo unknown)" \
  -t "$image" "$@" .
echo "built $image in $(( $(date +%s) - start )) s: $(size "$image")"
