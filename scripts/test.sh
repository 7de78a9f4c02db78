#!/usr/bin/env bash
# The whole suite: installs the Debian packages the tests run against when they
# are missing, builds, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for bin in redis-server redis-sentinel redis-cli; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
packages=(redis-server redis-sentinel redis-tools)
# The client matrix also drives HAProxy and redis-py (Debian's python3-redis).
command -v haproxy >/dev/null 2>&1 || { need+=(haproxy); packages+=(haproxy); }
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || { need+=(python3-redis); packages+=(python3-redis); }
# The TLS tests make their certificates with openssl.
command -v openssl >/dev/null 2>&1 || { need+=(openssl); packages+=(openssl); }
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${packages[*]} (missing: ${need[*]})"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: install them first, e.g. 'sudo apt-get install -y ${packages[*]}'" >&2
    exit 1
  fi
fi

# The status page's browser test drives Debian's Chromium; without it, that test says it skipped.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium (for the status page's browser test)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "chromium could not be installed: the browser test will be skipped" >&2
fi

# The Docker checks after the whole suite (scripts/docker-check.sh: the image, and tests with
# the container backend) start a dockerd of their own; without these packages, or as
# another user than root, they say that they skipped.
if [ "$#" = 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  docker_packages=()
  command -v dockerd >/dev/null 2>&1 || docker_packages+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || docker_packages+=(debootstrap)
  if [ ${#docker_packages[@]} -gt 0 ]; then
    echo "Installing ${docker_packages[*]} (for the Docker checks)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${docker_packages[@]}" >/dev/null) || echo "${docker_packages[*]} could not be installed: the Docker checks will be skipped" >&2
  fi
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
if [ "$#" = 0 ]; then
  # The pure tests (no processes, no time measured against real servers) two files at a time; the
  # rest, which times real processes on this machine's cores, one file at a time.
  npx vitest run test/unit test/sim --maxWorkers=2
  npx vitest run --exclude 'test/unit/**' --exclude 'test/sim/**'
else
  npx vitest run "$@"
fi
# Only for the whole suite: a run of chosen files is about those files. docker-compose.yml is
# left to `sudo scripts/docker-check.sh` run by hand, which keeps the suite within its time.
if [ "$#" = 0 ]; then DOCKER_CHECK_COMPOSE=${DOCKER_CHECK_COMPOSE:-no} bash scripts/docker-check.sh; fi
