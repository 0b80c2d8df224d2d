-- Homeostat's D1 schema: the one source of truth, applied locally (`npm run db:apply`), by
-- `npm start`, by the test setup and in production. Every statement is idempotent so that
-- applying the file again is always safe; a later change that cannot be expressed that way
-- must come with a migration and a test that the migrations yield this file.

CREATE TABLE IF NOT EXISTS schema_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Bumped whenever this file changes shape; every Worker reports it on /healthz.
INSERT INTO schema_meta (key, value) VALUES ('schema_version', '1')
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- One row per cron invocation of a Worker. The unique key makes a repeated delivery of the same
-- scheduled event (cron triggers are at-least-once) a no-op instead of a second run.
CREATE TABLE IF NOT EXISTS cron_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  worker TEXT NOT NULL,
  cron TEXT NOT NULL,
  scheduled_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'ok', 'error')),
  detail TEXT,
  UNIQUE (worker, cron, scheduled_at)
);

-- Every triage-queue message as it arrives, keyed by the queue's message id, so a redelivered
-- message is recognised. `status` is 'accepted' for a valid message and 'rejected' for one that
-- failed validation (kept for inspection instead of being retried forever).
CREATE TABLE IF NOT EXISTS queue_inbox (
  message_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
  body TEXT,
  problem TEXT,
  deliveries INTEGER NOT NULL DEFAULT 1,
  first_received_at INTEGER NOT NULL,
  last_received_at INTEGER NOT NULL
);

-- Messages that exhausted their retries on the triage queue and reached its dead-letter queue.
CREATE TABLE IF NOT EXISTS dead_letters (
  message_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  body TEXT,
  attempts INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
