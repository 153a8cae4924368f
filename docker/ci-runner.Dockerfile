# The runner image that `act` runs cxr's workflow jobs in on these machines (scripts/act.sh):
# the local Debian base with what the jobs' skipped setup steps would install on GitHub (JDK 17,
# Python 3.11 with venv, git, make, curl, the SIMD libjpeg-turbo), plus the optional CA input.
ARG BASE=cxr/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless python3 python3-venv git \
      make curl ca-certificates libturbojpeg0 \
 && rm -rf /var/lib/apt/lists/*
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/cxr/
RUN update-ca-certificates >/dev/null
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 LANG=C.UTF-8
