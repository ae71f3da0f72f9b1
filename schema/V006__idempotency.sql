-- V006: Idempotency-Key records for creating POSTs. A retried request with
-- the same key and body gets the first response back for 24 hours. The
-- request is kept only as a keyed digest; the stored response holds ids and
-- masked values, never plaintext.

CREATE TABLE idempotency_keys (
  principal TEXT NOT NULL,             -- "service:till-3"
  key TEXT NOT NULL,                   -- the client's Idempotency-Key
  fingerprint BLOB NOT NULL,           -- keyed BLAKE2b of method, path and body
  fingerprint_key_id INTEGER NOT NULL REFERENCES keyring (id),
  state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  status INTEGER NOT NULL,             -- HTTP status of the first response
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,         -- Unix milliseconds
  PRIMARY KEY (principal, key)
) STRICT;

CREATE INDEX idempotency_by_age ON idempotency_keys (created_at);
