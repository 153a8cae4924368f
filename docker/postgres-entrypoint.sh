#!/bin/sh
# PostgreSQL for the compose stack: on first start, a cluster with one role and database for
# MLflow and one for Airflow (passwords from the environment, i.e. the .env file); then the server
# on 127.0.0.1:$POSTGRES_PORT (host network), password authentication only.
set -eu
bin=/usr/lib/postgresql/15/bin
: "${POSTGRES_PORT:=5432}" "${MLFLOW_DB_PASSWORD:?set in .env}" "${AIRFLOW_DB_PASSWORD:?set in .env}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp); head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$pw"
  "$bin/initdb" -D "$PGDATA" -U postgres --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  rm -f "$pw"
  "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start >/dev/null
  psql -h /tmp -U postgres -v ON_ERROR_STOP=1 -q \
    -v mpw="$MLFLOW_DB_PASSWORD" -v apw="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'mpw';
CREATE DATABASE mlflow OWNER mlflow;
CREATE ROLE airflow LOGIN PASSWORD :'apw';
CREATE DATABASE airflow OWNER airflow;
SQL
  "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -c port="$POSTGRES_PORT" -k /tmp
