-- V007: the reveal quota counts a principal's successful reveals of the last
-- hour inside the writer; without this index SQLite scanned every principal's
-- reveals (bench/ANALYSIS.md: 19.8 ms -> 5.4 µs at 1,000,000 customers).

CREATE INDEX audit_reveals_by_principal ON audit_log (principal, time_ms)
  WHERE action = 'customer.reveal' AND outcome = 'success';
