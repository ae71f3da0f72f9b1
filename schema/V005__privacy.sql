-- V005: the consent ledger. One row per statement of consent (a grant or a
-- withdrawal) for one customer and one purpose, with where it was given
-- (channel), who recorded it (actor, the audit's principal label), and the
-- version and hash of the notice text the customer was shown. The current
-- state of a (customer, purpose) is its newest row. Never PII: ids, names of
-- purposes and channels, times.
--
-- Append-only: the triggers refuse every UPDATE, and every DELETE while the
-- customer still exists. The only way rows leave is the erasure of their
-- customer (ON DELETE CASCADE, in the erasure's own transaction, with
-- secure_delete on); the audit entries of each change stay in audit_log.

CREATE TABLE consent_events (
  seq INTEGER PRIMARY KEY NOT NULL,    -- ledger order: 1, 2, 3, ...
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,               -- "marketing_email", ... (from the config)
  granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
  channel TEXT NOT NULL CHECK (channel IN ('web', 'pos', 'import', 'staff')),
  actor TEXT NOT NULL,                 -- "employee:alice", "service:till-3"
  notice_version TEXT NOT NULL,        -- "notice-2026-11"
  notice_hash TEXT NOT NULL,           -- SHA-256 of the notice text, 64 hex digits
  time_ms INTEGER NOT NULL,            -- Unix milliseconds
  audit_seq INTEGER NOT NULL           -- the audit_log entry written with it
) STRICT;

CREATE INDEX consent_by_customer ON consent_events (customer_id, purpose, seq);
CREATE INDEX consent_by_purpose ON consent_events (purpose, customer_id, seq);

CREATE TRIGGER consent_events_append_only_update
BEFORE UPDATE ON consent_events
BEGIN
  SELECT RAISE(ABORT, 'consent_events is append-only');
END;

-- A cascade from the erasure of the customer runs after the customer row is
-- gone, so the WHEN clause lets exactly those deletions through.
CREATE TRIGGER consent_events_append_only_delete
BEFORE DELETE ON consent_events
WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
BEGIN
  SELECT RAISE(ABORT, 'consent_events is append-only; erase the customer instead');
END;
