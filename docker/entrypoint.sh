#!/bin/sh
# Runs the sentinel on a config file in a writable directory: a sentinel rewrites its config
# (through a temporary file next to it, then a rename) whenever it learns a replica, a peer or
# a new epoch, so the file cannot sit in the image when the root filesystem is read-only.
set -eu

case "${1:-}" in
  # Asked for the version or the usage, not for a daemon: no config involved.
  -v | --version | -h | --help) exec node /app/bin/sentinel.js "$@" ;;
esac

config="${SENTINEL_CONFIG:-/data/sentinel.conf}"
if [ ! -e "$config" ]; then
  # First start on an empty volume: begin from a template (mounted, or the example), after
  # which the sentinel's own rewrites are what survive a restart.
  template="${SENTINEL_CONFIG_TEMPLATE:-/app/sentinel.conf.example}"
  cp "$template" "$config"
  echo "entrypoint: $config created from $template" >&2
fi
exec node /app/bin/sentinel.js "$config" "$@"
