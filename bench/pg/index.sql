CREATE UNIQUE INDEX customers_by_email_hmac ON customers (email_hmac);
VACUUM ANALYZE customers;
CHECKPOINT;
