-- V004: key rotation jobs. A job rewraps DEKs (data) or recomputes blind
-- indexes (index) in short batches; `cursor` is the last customers.rowid
-- done, committed with each batch, so a restart resumes where it stopped.

CREATE TABLE rotation_jobs (
  id INTEGER PRIMARY KEY NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('data', 'index')),
  old_key_id INTEGER NOT NULL REFERENCES keyring (id),
  new_key_id INTEGER NOT NULL REFERENCES keyring (id),
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  total INTEGER NOT NULL,
  done INTEGER NOT NULL,
  cursor INTEGER NOT NULL,             -- customers.rowid reached
  started_at INTEGER NOT NULL,         -- Unix milliseconds
  finished_at INTEGER
) STRICT;

-- At most one running job.
CREATE UNIQUE INDEX rotation_jobs_one_running ON rotation_jobs (state)
  WHERE state = 'running';
