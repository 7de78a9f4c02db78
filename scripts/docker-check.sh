#!/usr/bin/env bash
# End-to-end check of the Docker packaging on a machine without an image registry:
#   a throwaway dockerd (host networking only) in a temp dir, a Debian bookworm base from
#   debootstrap plus the host's node, the image built from ./Dockerfile, run read-only against
#   a redis-server on the host, then docker-compose.yml brought up and failed over twice
#   (SENTINEL FAILOVER, then the master's container stopped), then integration tests with the
#   harness's container backend (HARNESS_BACKEND=containers: redis-server, redis-sentinel and
#   ours in containers of the images compose built). Everything is torn down.
#
#   sudo bash scripts/docker-check.sh
#
# Exit 0 with "PASS", 1 with "FAILED: ...", or 0 with "SKIPPED: ..." when Docker cannot be
# started here (not root, packages missing, daemon does not come up, fixed ports taken).
# Bounded: every wait has a timeout, and all steps share a budget of DOCKER_CHECK_BUDGET
# seconds (default 480). The debootstrap of the first run on a machine (1-3 min) is not
# counted: its result is cached as a tarball in DOCKER_CHECK_CACHE
# (default /var/cache/ts-sentinel-docker-check; "none" to debootstrap every time).
# DOCKER_CHECK_TESTS: the test files run in containers (space-separated; "none" for none).
# DOCKER_CHECK_COMPOSE=no leaves docker-compose.yml out (npm test does, to stay within its time).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUDGET=${DOCKER_CHECK_BUDGET:-480}
CACHE=${DOCKER_CHECK_CACHE:-/var/cache/ts-sentinel-docker-check}
PROJECT=tssentinelcheck
# The fixed ports of docker-compose.yml, and two for the single read-only run. Below 32768 so
# that no outgoing connection is given one of them as its local port meanwhile.
COMPOSE_REDIS_PORTS=(7379 7380 7381)
COMPOSE_SENTINEL_PORTS=(7479 7480 7481)
RUN_REDIS_PORT=7389
RUN_SENTINEL_PORT=7489

# The container backend's share of the suite, kept short for CI: the backend's own checks (a
# restart from a rewritten config among them), a mixed group's gossip, a kill -9 failover with a
# client.
# DOCKER_CHECK_TESTS takes more (the whole of test/integration runs this way, except the
# script test that reads a script's PID from inside the sentinel's PID namespace).
DEFAULT_TESTS="test/harness/container-backend.test.ts test/integration/mixed.test.ts
  test/integration/failover-kill.test.ts"
WITH_COMPOSE=${DOCKER_CHECK_COMPOSE:-yes}
read -r -d '' -a TESTS <<<"${DOCKER_CHECK_TESTS:-$DEFAULT_TESTS}" || true
[ "${TESTS[*]}" = none ] && TESTS=()

START=$SECONDS
DEADLINE=$((SECONDS + BUDGET))
WORK=""
DOCKERD_PID=""
COMPOSE_UP=0
CHILD=""
RESULT=""

say() { printf '[docker-check %3ds] %s\n' "$((SECONDS - START))" "$*"; }

banner() {
  printf '\n==================================================================\n'
  printf '%s\n' "$*"
  printf '==================================================================\n\n'
}

# The verdict is printed by the cleanup, after the teardown, so that it is the last line.
skip() {
  RESULT="SKIPPED: $*"
  [ -n "$WORK" ] || banner "$RESULT"
  exit 0
}

fail() {
  RESULT="FAILED: $*"
  exit 1
}

# The tail of a log kept in the work dir, which the cleanup removes.
show_log() {
  [ -n "$WORK" ] && [ -f "$WORK/$1" ] || return 0
  echo "----- last lines of $1 -----" >&2
  tail -n "${2:-25}" "$WORK/$1" >&2
  echo "-----" >&2
}

# Seconds left in the budget, but at most $1: each step has its own limit and all of them
# together stay within the budget.
limit() {
  local left=$((DEADLINE - SECONDS))
  [ "$left" -lt 1 ] && left=1
  [ "$1" -lt "$left" ] && echo "$1" || echo "$left"
}

# bounded SECONDS LOG COMMAND...: the command with a timeout, its output in LOG. It runs in
# the background so that a signal to this script is acted on at once (bash runs a trap only
# after a foreground child ends, and timeout puts its child in a process group of its own,
# out of reach of a terminal's Ctrl-C); the cleanup stops it.
bounded() {
  local secs=$1 log=$2 rc
  shift 2
  timeout --kill-after=5 "$secs" "$@" >>"$WORK/$log" 2>&1 &
  CHILD=$!
  wait "$CHILD"
  rc=$?
  CHILD=""
  [ "$rc" = 124 ] && echo "(timed out after ${secs}s: $*)" >>"$WORK/$log"
  return "$rc"
}

# run_limited SECONDS LOG COMMAND...: bounded, and within what is left of the budget.
run_limited() {
  local secs
  secs=$(limit "$1")
  shift
  bounded "$secs" "$@"
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll until the command succeeds.
wait_for() {
  local until=$((SECONDS + $(limit "$1"))) what=$2
  shift 2
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$until" ] && return 1
    sleep 0.5
  done
  say "ok: $what"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cli() { timeout 5 redis-cli -p "$1" "${@:2}"; }

cleanup() {
  local rc=$?
  set +e
  trap '' INT TERM
  [ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
  if [ -n "$DOCKERD_PID" ]; then
    say "tearing down"
    if [ "$COMPOSE_UP" = 1 ]; then
      timeout 60 "${COMPOSE[@]}" -p "$PROJECT" down -v --timeout 5 >>"$WORK/compose-down.log" 2>&1
    fi
    timeout 30 docker rm -f -v tss-check-run >/dev/null 2>&1
    # The daemon is ours alone: stopping it stops its containerd with it.
    kill "$(cat "$WORK/dockerd.pid" 2>/dev/null || echo "$DOCKERD_PID")" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
  fi
  if [ -n "$WORK" ] && [ -f "$WORK/redis.pid" ]; then
    kill "$(cat "$WORK/redis.pid")" 2>/dev/null
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    # dockerd leaves its network namespace mounted; unmount whatever is left, deepest first,
    # and remove the dir only when nothing is mounted in it any more.
    local m
    awk -v d="$WORK/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    if awk -v d="$WORK/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
      echo "docker-check: mounts left under $WORK, not removing it" >&2
    else
      rm -rf "$WORK"
    fi
  fi
  if [ -n "$RESULT" ]; then
    case "$RESULT" in FAILED*) banner "$RESULT" >&2 ;; *) banner "$RESULT" ;; esac
  elif [ "$rc" = 0 ]; then
    banner "PASS in $((SECONDS - START))s"
  else
    banner "FAILED: interrupted or unexpected exit ($rc)" >&2
  fi
  exit "$rc"
}

# --- can Docker run here at all ---------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "docker-check needs root (it starts its own dockerd)"
for tool in dockerd docker debootstrap redis-server redis-cli timeout flock; do
  command -v "$tool" >/dev/null ||
    skip "$tool is not installed (apt-get install -y --no-install-recommends docker.io docker-compose debootstrap redis-server)"
done
if command -v docker-compose >/dev/null; then
  COMPOSE=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif [ "$WITH_COMPOSE" = yes ]; then
  skip "neither docker-compose nor the docker compose plugin is installed"
fi
{ command -v node && command -v npm; } >/dev/null || skip "node and npm are needed for the local base image"

# Two runs at once would share the fixed ports and the compose project.
lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/tmp
exec 9>"$lockdir/ts-sentinel-docker-check.lock"
flock -n 9 || skip "another docker-check is running"

for p in "${COMPOSE_REDIS_PORTS[@]}" "${COMPOSE_SENTINEL_PORTS[@]}" "$RUN_REDIS_PORT" "$RUN_SENTINEL_PORT"; do
  port_busy "$p" && skip "port $p is taken on 127.0.0.1 (docker-compose.yml and this check use fixed ports)"
done

WORK=$(mktemp -d /tmp/ts-sentinel-docker-check.XXXXXX)
trap cleanup EXIT
trap 'RESULT="FAILED: interrupted"; exit 130' INT TERM
cd "$ROOT" || fail "cd $ROOT"
export DOCKER_HOST="unix://$WORK/docker.sock"
say "work dir $WORK, budget ${BUDGET}s"

# --- the daemon ---------------------------------------------------------------------------
# No bridge and no iptables: containers use the host's network, which is all this machine
# allows. The storage driver is left to dockerd (overlay2 where the kernel has it, else vfs,
# which copies every layer and makes the build several times slower).
dockerd --iptables=false --ip6tables=false --bridge=none \
  ${DOCKER_CHECK_STORAGE_DRIVER:+--storage-driver="$DOCKER_CHECK_STORAGE_DRIVER"} \
  --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
  -H "$DOCKER_HOST" >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
# Done waiting as soon as it answers, or exits (a daemon that cannot start here says why
# and exits at once).
dockerd_up_or_gone() { docker info || ! kill -0 "$DOCKERD_PID"; }
wait_for 30 "dockerd (pid $DOCKERD_PID) answered or exited" dockerd_up_or_gone
if ! docker info >/dev/null 2>&1; then
  show_log dockerd.log 10
  skip "dockerd did not come up (log above)"
fi
say "ok: dockerd answers"
say "storage driver: $(docker info -f '{{.Driver}}' 2>/dev/null)"

# --- base images --------------------------------------------------------------------------
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ && /debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
mirror=${mirror:-http://deb.debian.org/debian}
tarball="$CACHE/bookworm-minbase.tar"
if [ "$CACHE" = none ] || [ ! -s "$tarball" ]; then
  say "debootstrap --variant=minbase bookworm from $mirror (not counted in the budget)"
  t0=$SECONDS
  bounded 240 debootstrap.log debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" ||
    { show_log debootstrap.log; fail "debootstrap"; }
  # Docs and the package cache are of no use in an image; without them every layer is smaller.
  rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/* \
    "$WORK"/rootfs/usr/share/doc/* "$WORK"/rootfs/usr/share/man/* "$WORK"/rootfs/usr/share/info/*
  if [ "$CACHE" = none ]; then tarball="$WORK/bookworm-minbase.tar"; else mkdir -p "$CACHE"; fi
  tar -C "$WORK/rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" || fail "writing $tarball"
  rm -rf "$WORK/rootfs"
  DEADLINE=$((DEADLINE + SECONDS - t0))
fi
run_limited 60 import.log docker import "$tarball" local/bookworm || { show_log import.log; fail "docker import"; }
say "ok: local/bookworm imported from $tarball"

# node:20-bookworm-slim stand-in: the host's node and npm on the debootstrap base.
mkdir -p "$WORK/nodectx"
cp "$(readlink -f "$(command -v node)")" "$WORK/nodectx/node"
cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$WORK/nodectx/npm"
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca" ]; then cp "$ca" "$WORK/nodectx/ca-certificates.crt"; else : >"$WORK/nodectx/ca-certificates.crt"; fi
run_limited 90 node-base.log docker build --network host -t local/node:20-bookworm \
  -f "$ROOT/docker/node-base.Dockerfile" "$WORK/nodectx" || { show_log node-base.log; fail "building local/node:20-bookworm"; }
say "ok: local/node:20-bookworm built ($(docker run --rm local/node:20-bookworm node --version))"

# --- the image ----------------------------------------------------------------------------
run_limited 180 build.log docker build --network host --build-arg BASE=local/node:20-bookworm \
  -t ts-sentinel:check "$ROOT" || { show_log build.log 40; fail "building the image from ./Dockerfile"; }
say "ok: ts-sentinel:check built ($(docker image inspect -f '{{.Size}}' ts-sentinel:check | awk '{ printf "%d MB", $1 / 1e6 }'))"

user=$(docker run --rm --read-only --entrypoint id ts-sentinel:check -u)
[ "$user" != 0 ] || fail "the image runs as root"
docker run --rm --read-only --entrypoint sh ts-sentinel:check -c 'touch /app/x' 2>/dev/null &&
  fail "the root filesystem is writable under --read-only"
say "ok: runs as uid $user; /app not writable under --read-only"

# --- docker run --read-only against a redis-server on the host -------------------------------
redis-server --port "$RUN_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK" || fail "redis-server on $RUN_REDIS_PORT"
wait_for 10 "redis-server on $RUN_REDIS_PORT" cli "$RUN_REDIS_PORT" ping || fail "redis-server on $RUN_REDIS_PORT did not answer"
mkdir "$WORK/run-conf"
printf 'port %s\nsentinel monitor check 127.0.0.1 %s 1\n' "$RUN_SENTINEL_PORT" "$RUN_REDIS_PORT" >"$WORK/run-conf/sentinel.conf"
chown -R "$user" "$WORK/run-conf"
docker run -d --name tss-check-run --read-only --network host -v "$WORK/run-conf:/data" \
  ts-sentinel:check --loglevel verbose >/dev/null || fail "docker run"
master_is_up() { [ "$(cli "$RUN_SENTINEL_PORT" sentinel master check | sed -n '/^flags$/{n;p}')" = master ]; }
if ! wait_for 30 "sentinel in the container sees its master" master_is_up; then
  docker logs tss-check-run 2>&1 | tail -20 >&2
  fail "the read-only container's sentinel did not see its master"
fi
grep -q '^sentinel myid ' "$WORK/run-conf/sentinel.conf" || fail "the sentinel did not rewrite its config in /data"
say "ok: config rewritten in the volume ($(grep -c . "$WORK/run-conf/sentinel.conf") lines)"
timeout 20 docker stop -t 10 tss-check-run >/dev/null || fail "docker stop"
code=$(docker inspect -f '{{.State.ExitCode}}' tss-check-run)
[ "$code" = 0 ] || { docker logs tss-check-run 2>&1 | tail -20 >&2; fail "the container exited with $code on SIGTERM"; }
docker logs tss-check-run 2>&1 | sed -n '/+monitor/p;/bye bye/p' | sed 's/^/    /'
docker rm -v tss-check-run >/dev/null
kill "$(cat "$WORK/redis.pid")"
say "ok: stopped with SIGTERM, exit code 0"

# --- docker-compose.yml ---------------------------------------------------------------------
if [ "$WITH_COMPOSE" = yes ]; then
  export NODE_BASE=local/node:20-bookworm REDIS_BASE=local/bookworm
  COMPOSE_UP=1
  if ! run_limited 150 compose-up.log "${COMPOSE[@]}" -p "$PROJECT" up -d --build; then
    show_log compose-up.log 40
    fail "docker-compose up"
  fi
  say "ok: compose up"

  # field PORT NAME: one field of SENTINEL MASTER mymaster.
  field() { cli "$1" sentinel master mymaster | sed -n "/^$2\$/{n;p}"; }
  master_of() { cli "$1" sentinel get-master-addr-by-name mymaster | sed -n 2p; }
  topology_known() {
    local s
    for s in "${COMPOSE_SENTINEL_PORTS[@]}"; do
      [ "$(field "$s" num-slaves)" = 2 ] && [ "$(field "$s" num-other-sentinels)" = 2 ] || return 1
    done
  }
  all_agree_not() {
    local s m
    for s in "${COMPOSE_SENTINEL_PORTS[@]}"; do
      m=$(master_of "$s")
      [ -n "$m" ] && [ "$m" != "$1" ] || return 1
    done
  }
  service_of() { case "$1" in 7379) echo master ;; 7380) echo replica1 ;; 7381) echo replica2 ;; esac; }
  compose_logs() { timeout 30 "${COMPOSE[@]}" -p "$PROJECT" logs --no-color "$@" 2>&1; }

  if ! wait_for 60 "3 sentinels see 2 replicas and 2 other sentinels" topology_known; then
    compose_logs sentinel1 | tail -20 >&2
    fail "the compose topology did not settle"
  fi

  # Refused (-NOGOODSLAVE) until the sentinel has fresh INFO from a replica; asked again then.
  failover_accepted() { cli 7479 sentinel failover mymaster | grep -qx OK; }
  wait_for 20 "SENTINEL FAILOVER accepted" failover_accepted ||
    fail "SENTINEL FAILOVER was refused: $(cli 7479 sentinel failover mymaster)"
  wait_for 40 "SENTINEL FAILOVER: all three sentinels moved off 7379" all_agree_not 7379 ||
    { compose_logs sentinel1 | tail -20 >&2; fail "no failover after SENTINEL FAILOVER"; }
  first=$(master_of 7479)
  [ "$(cli "$first" role | head -1)" = master ] || fail "127.0.0.1:$first is not a master after the failover"
  say "ok: 127.0.0.1:$first promoted"

  # The leader's failover ends (+failover-end, then its +switch-master) only once every replica
  # has synced with the new master, after Redis's 5 s diskless-sync delay; until then the
  # leader reports the promoted replica as the master while its failover is still in
  # progress. Stopping the new master before that would have the next failover supersede this
  # one on the leader, so wait for it to finish everywhere.
  failover_settled() {
    local s
    for s in "${COMPOSE_SENTINEL_PORTS[@]}"; do [ "$(field "$s" flags)" = master ] || return 1; done
    [ "$(cli "$first" info replication | tr -d '\r' | grep -c '^slave[0-9]*:.*state=online')" = 2 ]
  }
  wait_for 40 "failover ended on all three, both replicas online with 127.0.0.1:$first" failover_settled ||
    fail "the failover to 127.0.0.1:$first did not end: flags $(field 7479 flags)"

  victim=$(service_of "$first")
  run_limited 30 compose-stop.log "${COMPOSE[@]}" -p "$PROJECT" stop -t 2 "$victim" || fail "stopping $victim"
  say "stopped the $victim container (127.0.0.1:$first); down-after-milliseconds is 5000"
  wait_for 60 "master down: all three sentinels moved off $first" all_agree_not "$first" ||
    { compose_logs sentinel1 | tail -30 >&2; fail "no failover after the master's container stopped"; }
  second=$(master_of 7479)
  switches() { compose_logs sentinel1 sentinel2 sentinel3 | grep -c '+switch-master'; }
  six_switches() { [ "$(switches)" -ge 6 ]; }
  if ! wait_for 10 "+switch-master logged by each sentinel twice" six_switches; then
    compose_logs sentinel1 sentinel2 sentinel3 | grep -E ' [#*-] ' >&2
    fail "expected +switch-master from each sentinel twice, saw $(switches)"
  fi
  compose_logs sentinel1 sentinel2 sentinel3 | grep -E '\+(sdown master|odown|switch-master|elected-leader|promoted-slave)' |
    sed 's/^/    /'
  say "ok: 127.0.0.1:$second promoted"

  for s in 1 2 3; do
    id=$(timeout 30 "${COMPOSE[@]}" -p "$PROJECT" ps -q "sentinel$s")
    docker exec "$id" grep -q '^sentinel known-sentinel ' /data/sentinel.conf ||
      fail "sentinel$s did not rewrite its config in its volume"
  done
  say "ok: each sentinel's config rewritten in its volume"

  timeout 60 "${COMPOSE[@]}" -p "$PROJECT" down -v --timeout 5 >>"$WORK/compose-down.log" 2>&1 ||
    fail "docker-compose down"
  COMPOSE_UP=0
  say "ok: compose down"
else
  # The images compose would have built, for the container backend.
  docker tag ts-sentinel:check ts-sentinel:latest || fail "docker tag"
  run_limited 120 redis-image.log docker build --network host --build-arg BASE=local/bookworm \
    -t ts-sentinel-redis:7.0 -f "$ROOT/docker/redis.Dockerfile" "$ROOT/docker" ||
    { show_log redis-image.log; fail "building ts-sentinel-redis:7.0"; }
  say "ok: ts-sentinel-redis:7.0 built (docker-compose.yml not brought up: DOCKER_CHECK_COMPOSE=no)"
fi

# --- integration tests in containers --------------------------------------------------------
if [ ${#TESTS[@]} -gt 0 ]; then
  say "integration tests with HARNESS_BACKEND=containers: ${TESTS[*]}"
  if ! HARNESS_BACKEND=containers HARNESS_REDIS_IMAGE=ts-sentinel-redis:7.0 HARNESS_SENTINEL_IMAGE=ts-sentinel:latest \
    run_limited 300 container-tests.log npx vitest run "${TESTS[@]}"; then
    show_log container-tests.log 60
    fail "integration tests in containers"
  fi
  sed -n '/Test Files/,/Duration/p' "$WORK/container-tests.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/    /'
  say "ok: integration tests in containers"
fi

say "all checks passed"
