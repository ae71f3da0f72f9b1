#!/usr/bin/env bash
# `make run`: starts the server on the development data directory. On first
# run it creates the vault (root key, database, keyring, first admin token),
# a self-signed certificate and development sign-ins (admin, cashier,
# support) whose passwords are printed once. Development only: production
# runs `contact-vault init` once and brings its own certificate.
set -euo pipefail
build=${1:-build}
config=${2:-config/vault.toml}
data_dir=$(sed -n 's/^data_dir *= *"\([^"]*\)".*/\1/p' "$config" | head -n1)
data_dir=${CONTACT_VAULT_DATA_DIR:-${data_dir:-var/dev}}
port=$(sed -n 's/^port *= *\([0-9]*\).*/\1/p' "$config" | head -n1)
port=${CONTACT_VAULT_PORT:-${port:-8443}}
policy=$(sed -n 's/^file *= *"\([^"]*\)".*/\1/p' "$config" | head -n1)

if [ ! -f "$data_dir/vault.db" ]; then
  "$build/contact-vault" init --data-dir "$data_dir" --policy "${policy:-config/policy.toml}"
  if grep -q '^dev_mode *= *true' "$config"; then
    "$build/contact-vault" dev-accounts --data-dir "$data_dir" --policy "${policy:-config/policy.toml}"
  fi
fi
"$build/contact-vault" dev-cert --data-dir "$data_dir" >/dev/null
echo "open https://localhost:$port/ (self-signed development certificate: $data_dir/tls/cert.pem)"
exec "$build/contact-vault-server" --config "$config"
