#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium for the browser test
# (test/browser/viewer.test.ts drives it with playwright-core; no browser download is possible here).
# Idempotent: does nothing but print the version when Chromium is already there.
set -euo pipefail

bash "$(dirname "$0")/ensure-debian-package.sh" chromium /usr/bin/chromium
/usr/bin/chromium --version
