-- pgbench: a durable create of a new customer (distinct email from a
-- sequence; the unique HMAC index refuses duplicates like ours). -D key, hkey, opts.
INSERT INTO customers (id, email_hmac, email_ct, phone_ct, name_ct)
SELECT 'cus_' || encode(gen_random_bytes(16), 'hex'), hmac(e, :hkey::text, 'sha256'),
       pgp_sym_encrypt(e, :key::text, :opts::text), pgp_sym_encrypt(p, :key::text, :opts::text),
       pgp_sym_encrypt('Bench Customer', :key::text, :opts::text)
FROM (SELECT 'new-' || nextval('bench_new') || '@bench.example' AS e,
             '+1416' || (3000000 + floor(random() * 6999999)::int) AS p) AS s
RETURNING id;
