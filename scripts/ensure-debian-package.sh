#!/usr/bin/env bash
# ensure-debian-package.sh PACKAGE COMMAND: installs Debian's PACKAGE (as root, or with sudo) when
# COMMAND is not on the machine; does nothing when it is. The test prerequisites share it
# (scripts/ensure-chromium.sh, scripts/ensure-redis.sh).
set -euo pipefail

package="$1"
command="$2"

if ! command -v "$command" >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-debian-package: $command is missing and this is not root (no sudo); install the Debian package '$package' as root" >&2
    exit 1
  fi
  echo "ensure-debian-package: installing Debian's $package package" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$package" >/dev/null
fi
