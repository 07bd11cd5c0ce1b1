#!/usr/bin/env bash
# Makes sure Debian's redis-server is installed for the Redis-mode explorer tests
# (test/explore/redis.test.ts starts its own server on 127.0.0.1, a free port and a temporary
# directory; nothing here starts one). Idempotent: prints the version when it is already there.
set -euo pipefail

bash "$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server
redis-server --version
