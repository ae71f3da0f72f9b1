#!/bin/sh
# The image's entry point (under tini). One word picks what to run, with the
# paths of the image filled in:
#   serve        the server on 8443 (the default)
#   init         first run: create the database in /var/lib/contact-vault with
#                the mounted root key and print the first admin token once
#   healthcheck  exit 0 when GET /healthz answers 200 (the HEALTHCHECK)
#   anything else is passed to the contact-vault CLI (backup, audit, ...).
set -eu
config=${CONTACT_VAULT_CONFIG:-/etc/contact-vault/vault.toml}
data_dir=${CONTACT_VAULT_STORAGE_DATA_DIR:-/var/lib/contact-vault}
root_key=${CONTACT_VAULT_KEYS_ROOT_KEY_FILE:-/run/secrets/root_key}
policy=${CONTACT_VAULT_POLICY_FILE:-/etc/contact-vault/policy.toml}

case "${1:-serve}" in
  serve)
    exec /usr/local/bin/contact-vault-server --config "$config"
    ;;
  init)
    shift
    exec /usr/local/bin/contact-vault init --data-dir "$data_dir" --root-key-file "$root_key" \
      --existing-root-key --policy "$policy" "$@"
    ;;
  healthcheck)
    # A shop's own certificate may not name localhost: set CONTACT_VAULT_SERVER
    # (e.g. https://vault.shop.example:8443) and CONTACT_VAULT_CA_CERT.
    shift
    exec /usr/local/bin/contact-vault healthcheck \
      --server "${CONTACT_VAULT_SERVER:-https://localhost:${CONTACT_VAULT_SERVER_PORT:-8443}}" \
      --ca-cert "${CONTACT_VAULT_CA_CERT:-/run/secrets/tls_cert}" --timeout-ms 3000 "$@"
    ;;
  *)
    exec /usr/local/bin/contact-vault "$@"
    ;;
esac
