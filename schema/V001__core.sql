-- V001: the vault core. Keys, settings and customers.
-- Every customer column is ciphertext, a blind index, a key id or a time:
-- no plaintext contact data is ever stored (schema/FORMATS.md).

CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
) STRICT;

CREATE TABLE keyring (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id > 0),
  purpose TEXT NOT NULL CHECK (purpose IN ('data', 'index', 'audit')),
  state TEXT NOT NULL CHECK (state IN ('active', 'decrypt_only', 'destroyed')),
  wrapped BLOB,  -- NULL once destroyed
  created_at INTEGER NOT NULL,
  destroyed_at INTEGER,
  CHECK ((state = 'destroyed') = (wrapped IS NULL))
) STRICT;

-- Exactly one active key per purpose.
CREATE UNIQUE INDEX keyring_one_active ON keyring (purpose) WHERE state = 'active';

CREATE TABLE customers (
  id TEXT PRIMARY KEY NOT NULL,           -- "cus_" + 32 random hex digits
  dek BLOB NOT NULL,                      -- wrapped DEK (FORMATS.md)
  dek_key_id INTEGER NOT NULL REFERENCES keyring (id),
  email_ct BLOB,
  phone_ct BLOB,
  name_ct BLOB,
  email_idx BLOB,
  email_idx_key_id INTEGER REFERENCES keyring (id),
  phone_idx BLOB,
  phone_idx_key_id INTEGER REFERENCES keyring (id),
  created_at INTEGER NOT NULL,            -- Unix seconds
  updated_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  CHECK ((email_ct IS NULL) = (email_idx IS NULL)),
  CHECK ((phone_ct IS NULL) = (phone_idx IS NULL)),
  CHECK ((email_idx IS NULL) = (email_idx_key_id IS NULL)),
  CHECK ((phone_idx IS NULL) = (phone_idx_key_id IS NULL)),
  CHECK (email_ct IS NOT NULL OR phone_ct IS NOT NULL)
) STRICT;

CREATE UNIQUE INDEX customers_by_email ON customers (email_idx)
  WHERE email_idx IS NOT NULL;
CREATE INDEX customers_by_phone ON customers (phone_idx)
  WHERE phone_idx IS NOT NULL;
CREATE INDEX customers_by_dek_key ON customers (dek_key_id);
CREATE INDEX customers_by_last_seen ON customers (last_seen_at);
