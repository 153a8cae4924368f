# The services of docker-compose.yml, each a target of this file, all on the local Debian base
# (scripts/docker-base.sh) so that no registry is needed:
#   postgres  PostgreSQL 15: MLflow's and Airflow's metadata (one database each)
#   mlflow    the pinned MLflow tracking server (requirements-dev.txt's version)
#   airflow   Airflow 3 with the Docker and Celery providers (requirements-airflow.txt's versions)
#   redis     Redis, the CeleryExecutor's broker (the `distributed` profile)
#   s3        SeaweedFS's S3 gateway: MLflow's artifact store and the DVC remote (its `weed`
#             binary built first by scripts/seaweedfs.sh from the Go module proxy)
ARG BASE=cxr/debian:bookworm

FROM ${BASE} AS python
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# optional extra CA certificates for pip (see docker/ca-certificates/README.md)
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/cxr/
RUN update-ca-certificates >/dev/null
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1

############################################################ postgres
FROM ${BASE} AS postgres
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
COPY docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
# a new named volume takes this folder's owner and mode
RUN mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
USER postgres
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
# last, so the layers above stay cached: `make clean-stack` prunes dangling images by it
LABEL io.cxr.build=stack

############################################################ redis
# the CeleryExecutor's broker in the `distributed` profile (Debian's Redis)
FROM ${BASE} AS redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
COPY docker/redis-entrypoint.sh /usr/local/bin/redis-entrypoint.sh
USER redis
ENTRYPOINT ["/usr/local/bin/redis-entrypoint.sh"]
LABEL io.cxr.build=stack

############################################################ s3
FROM ${BASE} AS s3
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10003 --user-group --no-create-home seaweedfs \
 && install -d -o seaweedfs -g seaweedfs /data
COPY target/seaweedfs/weed /usr/local/bin/weed
COPY docker/s3-entrypoint.sh /usr/local/bin/s3-entrypoint.sh
USER seaweedfs
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/s3-entrypoint.sh"]
LABEL io.cxr.build=stack

############################################################ mlflow
FROM python AS mlflow
ARG MLFLOW_VERSION=2.22.5
RUN python3 -m venv /opt/mlflow \
 && /opt/mlflow/bin/pip install --quiet "mlflow==${MLFLOW_VERSION}" "sqlalchemy==2.0.58" "psycopg2-binary==2.9.11" \
    "boto3==1.44.5" \
 && useradd --uid 10002 --user-group --create-home mlflow \
 && mkdir -p /mlartifacts && chown mlflow:mlflow /mlartifacts
ENV PATH=/opt/mlflow/bin:$PATH MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
USER mlflow
ENTRYPOINT ["mlflow"]
LABEL io.cxr.build=stack

############################################################ airflow
FROM python AS airflow
COPY requirements-airflow.txt /tmp/requirements-airflow.txt
RUN python3 -m venv /opt/airflow-venv \
 && grep -v -e '^pytest' -e '^docker-compose' /tmp/requirements-airflow.txt > /tmp/req.txt \
 && /opt/airflow-venv/bin/pip install --quiet -r /tmp/req.txt "psycopg2-binary==2.9.11" "asyncpg==0.32.0" \
 && useradd --uid 50000 --user-group --home-dir /opt/airflow --create-home airflow \
 && install -d -o airflow -g airflow /opt/airflow/logs
COPY docker/airflow-entrypoint.sh /usr/local/bin/airflow-entrypoint.sh
ENV PATH=/opt/airflow-venv/bin:$PATH AIRFLOW_HOME=/opt/airflow DO_NOT_TRACK=1 \
    SCARF_ANALYTICS=false AIRFLOW__CORE__LOAD_EXAMPLES=False
USER airflow
WORKDIR /opt/airflow
ENTRYPOINT ["/usr/local/bin/airflow-entrypoint.sh"]
LABEL io.cxr.build=stack
