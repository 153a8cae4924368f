#!/bin/sh
# Airflow components of the compose stack. The admin password comes from the environment (.env),
# written where Airflow's simple auth manager reads it; then the command given (api-server,
# scheduler, dag-processor, or `db migrate`).
set -eu
: "${AIRFLOW_ADMIN_PASSWORD:?set in .env}"
umask 077
printf '{"admin": "%s"}\n' "$AIRFLOW_ADMIN_PASSWORD" > "$AIRFLOW_HOME/passwords.json"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$AIRFLOW_HOME/passwords.json"
exec airflow "$@"
