-- V002: who may call the vault. Employees sign in with a password (Argon2id
-- hash) or use an API token; service accounts (point-of-sale terminals,
-- integrations) use API tokens only. Token secrets and session ids are
-- stored only as hashes.

CREATE TABLE employees (
  id INTEGER PRIMARY KEY NOT NULL,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  roles TEXT NOT NULL,                 -- comma-separated role names
  password_hash TEXT,                  -- crypto_pwhash_str (Argon2id); NULL: no sign-in
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE service_accounts (
  id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  roles TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY NOT NULL,        -- the public <id> of cvk_<id>_<secret>
  principal_kind TEXT NOT NULL CHECK (principal_kind IN ('employee', 'service')),
  principal_id INTEGER NOT NULL,
  secret_hash BLOB NOT NULL,           -- BLAKE2b-256 of the secret
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,                  -- NULL: never
  revoked_at INTEGER,
  last_used_at INTEGER
) STRICT;

CREATE INDEX api_tokens_by_principal ON api_tokens (principal_kind, principal_id);

CREATE TABLE sessions (
  id_hash BLOB PRIMARY KEY NOT NULL,   -- BLAKE2b-256 of the cookie value
  employee_id INTEGER NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,         -- Unix milliseconds
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL          -- absolute end
) STRICT;

CREATE INDEX sessions_by_employee ON sessions (employee_id);
