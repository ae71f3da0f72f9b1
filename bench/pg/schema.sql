-- The peer: customers kept "the way a shop would without Contact Vault" in
-- PostgreSQL 15 with pgcrypto. Lookup by an HMAC-SHA256 of the normalized
-- (trimmed, lower-cased) email, indexed and unique; every field encrypted
-- with pgp_sym_encrypt under one application key. No audit, no per-record keys.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DROP TABLE IF EXISTS customers;
DROP SEQUENCE IF EXISTS bench_new;
CREATE SEQUENCE bench_new;
CREATE TABLE customers (
  id text PRIMARY KEY,                 -- 'cus_' + 32 hex digits, random like ours
  email_hmac bytea NOT NULL,           -- hmac(lower(trim(email)), key, 'sha256')
  email_ct bytea,                      -- pgp_sym_encrypt(email, key, options)
  phone_ct bytea,
  name_ct bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Only for the "lookup+decrypt+audit" reference: the same durable work our
-- search does per request (touch last_seen, append an audit row, commit
-- before answering), so the comparison can be read both ways.
DROP TABLE IF EXISTS audit_log;
CREATE TABLE audit_log (
  seq bigserial PRIMARY KEY,
  time_ms bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
  principal text NOT NULL,
  action text NOT NULL,
  record_id text NOT NULL,
  outcome text NOT NULL,
  detail text NOT NULL
);
CREATE INDEX audit_by_principal ON audit_log (principal, time_ms);
CREATE INDEX audit_by_record ON audit_log (record_id, time_ms);
CREATE INDEX audit_by_action ON audit_log (action, time_ms);
