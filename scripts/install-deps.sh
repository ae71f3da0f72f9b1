#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Contact Vault
# need, when any is missing. Idempotent and silent when everything is present.
# Uses sudo when not root. Called by `make run` and `make test`.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates openssl sqlite3
  libsodium-dev libsqlite3-dev libssl-dev
  libcpp-httplib-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libphonenumber-dev libgtest-dev libgmock-dev
  libboost1.74-dev
  clang-format ccache
)
# The TLS scan of make test (tests/hostile/testssl_check.py).
packages+=(testssl.sh)
# Browser tests: Debian's Chromium driven by Playwright from npm.
packages+=(chromium)
# The container test (tests/container): rootful podman with runc and CNI
# networking, podman-compose for docker/compose.yaml, mmdebstrap for the base
# image (no image registry needed).
packages+=(podman runc containernetworking-plugins podman-compose mmdebstrap)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
