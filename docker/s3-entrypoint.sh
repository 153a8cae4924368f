#!/bin/sh
# SeaweedFS as the stack's S3-compatible store: master, volume server, filer and S3 gateway in
# one process, bound to loopback. S3 on S3_PORT; its parts on the next three ports (master,
# volume, filer) and each part's gRPC 10000 above its port. The one S3 identity's keys come from
# the environment (.env) and go into a config file, never onto a command line. Buckets are made
# on first upload (admin identity).
set -eu
: "${S3_ACCESS_KEY:?set in .env}"
: "${S3_SECRET_KEY:?set in .env}"
port=${S3_PORT:-8333}
umask 077
conf=$(mktemp)
printf '{"identities":[{"name":"cxr","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
  "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$conf"
exec weed server -dir=/data -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=$((port + 1)) -volume.port=$((port + 2)) -filer.port=$((port + 3)) \
  -master.volumeSizeLimitMB=256 -volume.max=64 \
  -s3 -s3.port="$port" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$conf"
