#!/usr/bin/env bash
# Makes sure Debian's redis-server is installed for the Redis-mode explorer tests
# (test/explore/redis.test.ts starts its own server on 127.0.0.1, a free port and a temporary
# directory; nothing here starts one). Idempotent: prints the version when it is already there.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-redis: redis-server is missing and this is not root (no sudo); install the Debian package 'redis-server' as root" >&2
    exit 1
  fi
  echo "ensure-redis: installing Debian's redis-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

redis-server --version
