#!/bin/sh
# SeaweedFS as the stack's S3-compatible store: master, volume server, filer and S3 gateway in
# one process, bound to loopback. S3 on S3_PORT; its parts on the next three ports (master,
# volume, filer) and each part's gRPC 10000 above its port. The one S3 identity's keys come from
# the environment (.env) and go into a config file, never onto a command line. The buckets cxr
# uses are made once the gateway answers (DVC lists a bucket before its first push and fails on a
# missing one); /tmp/cxr-buckets-ready then tells the health check.
set -eu
: "${S3_ACCESS_KEY:?set in .env}"
: "${S3_SECRET_KEY:?set in .env}"
port=${S3_PORT:-8333}
buckets=${S3_BUCKETS:-cxr-dvc cxr-mlflow}
umask 077
conf=$(mktemp)
printf '{"identities":[{"name":"cxr","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
  "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$conf"
rm -f /tmp/cxr-buckets-ready
weed server -dir=/data -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=$((port + 1)) -volume.port=$((port + 2)) -filer.port=$((port + 3)) \
  -master.volumeSizeLimitMB=256 -volume.max=64 -volume.preStopSeconds=1 \
  -s3 -s3.port="$port" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
for b in $buckets; do
  out=$(echo "s3.bucket.create -name $b" | weed shell -master="127.0.0.1:$((port + 1))" 2>&1) || true
  case "$out" in
    *"created bucket"*) echo "s3-entrypoint: created bucket $b" ;;
    *"already exists"*) ;;
    *) echo "s3-entrypoint: could not create bucket $b: $(echo "$out" | tail -n 1)" >&2 ;;
  esac
done
touch /tmp/cxr-buckets-ready
rc=0
wait "$pid" || rc=$?
# after a signal: until weed has stopped
if kill -0 "$pid" 2>/dev/null; then wait "$pid" || rc=$?; fi
exit "$rc"
