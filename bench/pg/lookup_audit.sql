-- pgbench: lookup+decrypt doing the durable work our search does: touch the
-- customer's last_seen_at and append an audit row in the same transaction,
-- committed (synchronous_commit=on) before the answer. -D n, key, hkey.
\set i random(0, :n - 1)
WITH hit AS (
  UPDATE customers SET last_seen_at = now()
  WHERE email_hmac = hmac(lower(trim('customer' || :i::bigint || '@shop' || (:i::bigint % 100) || '.example')),
                          :hkey::text, 'sha256')
  RETURNING id, email_ct, phone_ct, name_ct
), audit AS (
  INSERT INTO audit_log (principal, action, record_id, outcome, detail)
  SELECT 'service/bench-pos', 'customer.search', id, 'success', 'matches=1' FROM hit
)
SELECT id, pgp_sym_decrypt(email_ct, :key::text), pgp_sym_decrypt(phone_ct, :key::text),
       pgp_sym_decrypt(name_ct, :key::text)
FROM hit;
