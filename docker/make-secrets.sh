#!/bin/sh
# Makes the three secret files the container mounts, once, before the first
# `docker compose run --rm vault init`:
#   root_key   the root key: 64 hex digits, mode 0600 (keep a copy apart from
#              the data volume: without it the data cannot be read)
#   tls_cert   a self-signed certificate for localhost and 127.0.0.1, and
#   tls_key    its private key (replace both with the shop's own)
# all owned by uid 10001, the container's user, in DIR (default docker/secrets).
# Never overwrites a root key. Run as root (sudo) so the files can be given to
# uid 10001; with rootless podman, run `podman unshare chown 10001:10001 DIR/*`.
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
if [ -e "$dir/root_key" ]; then
  echo "make-secrets: $dir/root_key exists; not replacing a root key" >&2
  exit 1
fi
openssl rand -hex 32 >"$dir/root_key.new"
mv "$dir/root_key.new" "$dir/root_key"
if [ ! -e "$dir/tls_cert" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls_key" -out "$dir/tls_cert" 2>/dev/null
  chmod 0644 "$dir/tls_cert"
fi
chmod 0600 "$dir/root_key" "$dir/tls_key"
if [ "$(id -u)" -eq 0 ]; then
  chown 10001:10001 "$dir/root_key" "$dir/tls_cert" "$dir/tls_key"
else
  echo "make-secrets: not root: run  sudo chown 10001:10001 $dir/root_key $dir/tls_cert $dir/tls_key" >&2
fi
echo "secrets in $dir: root_key, tls_cert, tls_key"
