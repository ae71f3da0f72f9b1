-- V003: the tamper-evident audit log. Each entry's mac chains it to the one
-- before: mac_i = BLAKE2b-256(key = audit key, mac_{i-1} || canonical(entry_i)),
-- with mac_0 = 32 zero bytes (schema/FORMATS.md). Never a plaintext value.

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY NOT NULL,    -- 1, 2, 3, ... without gaps
  time_ms INTEGER NOT NULL,            -- Unix milliseconds
  principal TEXT NOT NULL,             -- "employee:alice", "service:till-3", "anonymous"
  roles TEXT NOT NULL,                 -- comma-separated
  action TEXT NOT NULL,                -- "customer.reveal", "auth.login", ...
  record_id TEXT NOT NULL,             -- customer id or other target; "" if none
  fields TEXT NOT NULL,                -- "email:masked,phone:plaintext"
  reason TEXT NOT NULL,                -- the stated reason of a reveal or export
  outcome TEXT NOT NULL,               -- "success", "denied", "not_found", ...
  detail TEXT NOT NULL,                -- non-PII detail: "matches=2", "status=403"
  request_id TEXT NOT NULL,
  client TEXT NOT NULL,                -- client address
  key_id INTEGER NOT NULL REFERENCES keyring (id),
  mac BLOB NOT NULL
) STRICT;

CREATE INDEX audit_by_principal ON audit_log (principal, time_ms);
CREATE INDEX audit_by_record ON audit_log (record_id, time_ms);
CREATE INDEX audit_by_action ON audit_log (action, time_ms);
