#!/bin/sh
# Redis for the CeleryExecutor (compose profile `distributed`): loopback only, no persistence
# (the broker's queue is rebuilt by Airflow's scheduler), the password from the environment
# (.env), written to a config file so that it is in no process's command line.
set -eu
: "${REDIS_PASSWORD:?set in .env}"
umask 077
conf=$(mktemp)
printf 'requirepass "%s"\n' "$REDIS_PASSWORD" > "$conf"
exec redis-server "$conf" --bind 127.0.0.1 --port "${REDIS_PORT:-6379}" --save "" \
  --appendonly no --protected-mode yes
