-- pgbench: find a customer by email and decrypt the three fields our search
-- shows (masked), as one prepared statement. -D n, key, hkey.
\set i random(0, :n - 1)
SELECT id, pgp_sym_decrypt(email_ct, :key::text), pgp_sym_decrypt(phone_ct, :key::text),
       pgp_sym_decrypt(name_ct, :key::text)
FROM customers
WHERE email_hmac = hmac(lower(trim('customer' || :i::bigint || '@shop' || (:i::bigint % 100) || '.example')),
                        :hkey::text, 'sha256');
