#!/usr/bin/env bash
# The point-of-sale flow against a running Contact Vault, with curl.
#
#   CONTACT_VAULT_SERVER   https://127.0.0.1:8443 (default)
#   CONTACT_VAULT_CA_CERT  the server's certificate (the dev one: var/dev/tls/cert.pem)
#   CONTACT_VAULT_TOKEN    a service account's token, role "pos" (see README.md)
#
# Every value below is made up. A real terminal sends what the customer typed,
# keeps the customer id it gets back, and nothing else.
set -euo pipefail

URL="${CONTACT_VAULT_SERVER:-https://127.0.0.1:8443}"
CA="${CONTACT_VAULT_CA_CERT:-var/dev/tls/cert.pem}"
: "${CONTACT_VAULT_TOKEN:?set CONTACT_VAULT_TOKEN to a pos service account token}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The token goes to curl through a file, not argv (argv shows in `ps`).
printf 'Authorization: Bearer %s\n' "$CONTACT_VAULT_TOKEN" > "$work/auth"
chmod 600 "$work/auth"

# call METHOD PATH [IDEMPOTENCY-KEY]: the JSON body comes on stdin (PII never
# goes in a URL, and a body on stdin stays out of argv too). Prints the HTTP
# status; the body is left in $work/body and the headers in $work/headers.
call() {
  local method="$1" path="$2" key="${3:-}"
  local args=(--silent --show-error --cacert "$CA" -X "$method" "$URL$path"
              -H @"$work/auth" -D "$work/headers" -o "$work/body" -w '%{http_code}')
  if [[ -n "$key" ]]; then args+=(-H "Idempotency-Key: $key"); fi
  if [[ "$method" != GET ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary @-)
  fi
  curl "${args[@]}"
}
show() {  # the body, pretty when jq is there
  if command -v jq >/dev/null; then jq . "$work/body"; else cat "$work/body"; echo; fi
}
field() {  # field NAME: a top-level or customer.NAME string/bool from the body
  grep -o "\"$1\":[^,}]*" "$work/body" | head -1 | cut -d: -f2- | tr -d '"'
}
new_key() { cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen; }
step() { printf '\n== %s\n' "$*"; }

# A fictional customer, new on every run. 555-0100..0199 numbers are reserved
# for fiction.
email="walkthrough-$(date +%s)-$RANDOM@example.test"
phone="+1 514 555 0142"

step "1. The customer types their email at the terminal: find-or-create it."
key="$(new_key)"   # one key per sale attempt; kept until it succeeds
status=$(call POST /v1/customers/find-or-create "$key" <<EOF
{"email": "$email", "phone": "$phone", "name": "Fictional Walkthrough"}
EOF
)
echo "HTTP $status (201: created, 200: found)"; show
id="$(field id)"
[[ "$id" == cus_* ]] || { echo "no customer id in the answer" >&2; exit 1; }
echo "The terminal keeps only: $id"

step "2. The network dropped the answer: the terminal retries with the SAME key."
status=$(call POST /v1/customers/find-or-create "$key" <<EOF
{"email": "$email", "phone": "$phone", "name": "Fictional Walkthrough"}
EOF
)
replayed="$(grep -i '^Idempotent-Replayed:' "$work/headers" | tr -d '\r' | cut -d' ' -f2)"
echo "HTTP $status, Idempotent-Replayed: ${replayed:-no}, id $(field id)"
[[ "$(field id)" == "$id" ]] || { echo "a retry made another customer!" >&2; exit 1; }
echo "Same answer, same id: the retry created nothing."

step "3. A bug reuses that key for another customer: refused, nothing stored."
status=$(call POST /v1/customers/find-or-create "$key" <<EOF
{"email": "other-$email"}
EOF
) || true
echo "HTTP $status (422 expected): $(field code)"

step "4. Next visit, new sale, new key: the customer is found, not created again."
status=$(call POST /v1/customers/find-or-create "$(new_key)" <<EOF
{"email": "$(tr '[:lower:]' '[:upper:]' <<<"$email")"}
EOF
)
echo "HTTP $status, created: $(field created), id $(field id)"
[[ "$(field id)" == "$id" ]] || { echo "found another customer!" >&2; exit 1; }

step "5. The customer gives a phone number: does it match the stored one? (yes/no only)"
status=$(call POST "/v1/customers/$id/verify" <<EOF
{"phone": "(514) 555-0142"}
EOF
)
echo "HTTP $status"; show

step "6. What a terminal may see of the customer: masked values at most."
status=$(call GET "/v1/customers/$id")
echo "HTTP $status"; show

echo
echo "Done. Store $id with the sale; never the email or phone."
