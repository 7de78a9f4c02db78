# Debian bookworm's redis-server (7.0.15, the version ts-sentinel is checked against) for the
# monitored instances in docker-compose.yml. BASE is any Debian bookworm image: the official
# one where a registry can be reached, a debootstrap import where none can.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && redis-server --version
USER redis
WORKDIR /var/lib/redis
ENTRYPOINT ["redis-server"]
