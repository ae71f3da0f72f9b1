#!/usr/bin/env bash
# Installs the npm packages of tests/js (Playwright's library, Redocly CLI,
# Ajv) from the lock file when they are missing or stale. Never downloads a
# browser: the browser tests drive Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/../tests/js"
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
