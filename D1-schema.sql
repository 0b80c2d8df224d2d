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

-- ============================================================================================
-- ingest (issue 3). Written only by the ingest Worker's Durable Objects, in batches from their
-- alarms (never per event). Read by triage (issue bodies) and canary-monitor (release health).
-- Every text column holds scrubbed data only.
-- ============================================================================================

-- One row per distinct problem: extension (the configured id the ingest key names) + fingerprint.
CREATE TABLE IF NOT EXISTS fingerprints (
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,                 -- 'fp1:<32 hex>'
  error_type TEXT NOT NULL,
  title TEXT NOT NULL,                       -- '<Type>: <parameterised first line>'
  culprit TEXT,                              -- top contributing frame, 'function (path)'
  events INTEGER NOT NULL,
  installs INTEGER NOT NULL,                 -- distinct installs; approximate past a bound
  installs_approximate INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,               -- epoch ms
  last_seen INTEGER NOT NULL,
  first_version TEXT NOT NULL,
  last_version TEXT NOT NULL,                -- highest version seen, by Chrome's ordering
  -- pending: seen, below minInstalls; open: announced as new; fixed: resolved (see
  -- fingerprint_resolutions); regressed: seen again from a version above fixed_in_version.
  state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'fixed', 'regressed')),
  fixed_in_version TEXT,
  flushed_at INTEGER NOT NULL,
  PRIMARY KEY (extension_id, fingerprint)
);

-- Counts per extension version and surface.
CREATE TABLE IF NOT EXISTS fingerprint_versions (
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  version TEXT NOT NULL,
  surface TEXT NOT NULL,
  events INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (extension_id, fingerprint, version, surface)
);

-- The last few scrubbed events of each fingerprint (the Durable Object keeps the bound).
CREATE TABLE IF NOT EXISTS samples (
  extension_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  version TEXT NOT NULL,
  surface TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  event TEXT NOT NULL,                       -- the scrubbed event as JSON (wire IngestEvent shape)
  PRIMARY KEY (extension_id, event_id)
);
CREATE INDEX IF NOT EXISTS samples_by_fingerprint ON samples (extension_id, fingerprint, received_at);

-- Each transition the Fingerprint Durable Object decided, with the queue message it sent.
CREATE TABLE IF NOT EXISTS fingerprint_transitions (
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('new', 'regression', 'threshold')),
  version TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (extension_id, fingerprint, kind, at)
);

-- Written by triage when a fingerprint's problem is resolved (issue closed by a human, fix
-- merged). The Fingerprint Durable Object reads it when it flushes: regression detection is the
-- ingest side's decision, and D1 is the one store both Workers share.
CREATE TABLE IF NOT EXISTS fingerprint_resolutions (
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  resolved_at INTEGER NOT NULL,
  fixed_in_version TEXT,                     -- null: the highest version seen when ingest learns of it
  source TEXT NOT NULL,                      -- e.g. 'issue_closed', 'pr_merged'
  PRIMARY KEY (extension_id, fingerprint)
);

-- Release health per extension, version and 5-minute window (window_start = epoch ms, a
-- multiple of 300000): the denominators and numerators canary-monitor judges releases on.
CREATE TABLE IF NOT EXISTS release_health (
  extension_id TEXT NOT NULL,
  version TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  sessions INTEGER NOT NULL DEFAULT 0,
  error_sessions INTEGER NOT NULL DEFAULT 0,
  error_events INTEGER NOT NULL DEFAULT 0,
  new_install_sessions INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (extension_id, version, window_start)
);
