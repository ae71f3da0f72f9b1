-- Loads customers :lo .. :hi (bench/bench_data.cc's rules, spelled in SQL).
-- psql variables: lo, hi, key (encryption key), hkey (HMAC key), opts.
INSERT INTO customers (id, email_hmac, email_ct, phone_ct, name_ct)
SELECT 'cus_' || encode(gen_random_bytes(16), 'hex'),
       hmac(email, :'hkey', 'sha256'),
       pgp_sym_encrypt(email, :'key', :'opts'),
       pgp_sym_encrypt(phone, :'key', :'opts'),
       pgp_sym_encrypt(name, :'key', :'opts')
FROM (
  SELECT 'customer' || i || '@shop' || (i % 100) || '.example' AS email,
         '+1416' || (2000000 + i % 8000000) AS phone,
         -- Keep in sync with bench/bench_data.cc.
         (ARRAY['Amelia','Noah','Olivia','Liam','Emma','Jacob','Chloe','Lucas',
                'Léa','Félix','Maya','Ethan','Zoé','Samuel','Aisha','Wei'])[i % 16 + 1]
         || ' ' ||
         (ARRAY['Tremblay','Gagnon','Roy','Côté','Bouchard','Smith','Brown','Wilson',
                'Martin','Lee','Nguyen','Singh','Patel','Chen','Gauthier','Morin'])[(i / 16) % 16 + 1]
         AS name
  FROM generate_series(:lo::bigint, :hi::bigint) AS i
) AS s;
