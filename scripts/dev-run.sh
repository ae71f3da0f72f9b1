#!/usr/bin/env bash
# `make run`: starts the server on the development data directory, creating
# the vault (root key, database, keyring) and a self-signed certificate on
# first run. Development only: production runs `contact-vault init` once and
# brings its own certificate.
set -euo pipefail
build=${1:-build}
config=${2:-config/vault.toml}
data_dir=$(sed -n 's/^data_dir *= *"\(.*\)".*/\1/p' "$config" | head -n1)
data_dir=${CONTACT_VAULT_DATA_DIR:-${data_dir:-var/dev}}

if [ ! -f "$data_dir/vault.db" ]; then
  "$build/contact-vault" init --data-dir "$data_dir"
fi
"$build/contact-vault" dev-cert --data-dir "$data_dir" >/dev/null
exec "$build/contact-vault-server" --config "$config"
