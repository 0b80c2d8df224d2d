-- migrations/0001_initial.sql: Homeostat's initial D1 schema (issue 12, section 3). Applied by
-- `wrangler d1 migrations apply` in production (`npm run deploy`) and locally (`npm run db:apply`),
-- and the same way by `npm start` and the test setup; wrangler's d1_migrations table records it.
-- Every statement is idempotent, so it also applies over a database an older `npm start` made.
-- An applied migration is never edited: later changes are new numbered files (migrations/README.md).
-- homeostat:pre-deploy (`npm run db:schema -- --seal` removes this line before the first deploy)

CREATE TABLE IF NOT EXISTS schema_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Bumped whenever this file changes shape; every Worker reports it on /healthz.
INSERT INTO schema_meta (key, value) VALUES ('schema_version', '3')
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
  -- Events per UTC day, the last 14 days, as JSON {"day": <epoch day of the last entry>,
  -- "counts": [oldest … newest]}: written with the row it belongs to, so the console's
  -- sparkline costs no extra row (issue 12, item 1; issue 14 counts rows written).
  daily_events TEXT,
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
  sessions INTEGER NOT NULL DEFAULT 0,       -- distinct sessions, exact up to 100
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

-- One row per batch a Durable Object flushed: D1 runs a batch as one transaction, so a resent
-- batch fails on this key as a whole instead of counting its increments twice (d1-flush.ts).
CREATE TABLE IF NOT EXISTS ingest_flushes (
  source TEXT NOT NULL,
  seq INTEGER NOT NULL,
  flushed_at INTEGER NOT NULL,
  PRIMARY KEY (source, seq)
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
  -- Error-affected sessions of installs in their first day: new installs get the newest
  -- version whatever the rollout percentage (research/canary.md §3), so the judge leaves them out.
  new_install_error_sessions INTEGER NOT NULL DEFAULT 0,
  -- Distinct installs that counted sessions / error sessions in the window (issue 11, item 2):
  -- the judge needs them to know that no single install carries a decision.
  installs INTEGER NOT NULL DEFAULT 0,
  error_installs INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (extension_id, version, window_start)
);

-- ============================================================================================
-- canary-monitor (issue 6). Written only by canary-monitor: staged Chrome Web Store rollouts, one
-- decision per judged look, and an outbox of release notifications. Reads release_health.
-- ============================================================================================

-- One row per rollout of an extension version. Every state change is a compare-and-set on `rev`
-- (the writer also stamps `lock_token`, so rows written in the same batch can require that this
-- writer won): two overlapping cron runs can never both act (research/canary.md §4.1).
CREATE TABLE IF NOT EXISTS canary_rollouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  extension_id TEXT NOT NULL,
  version TEXT NOT NULL,
  baseline_version TEXT,                     -- null until preflight finds it
  source TEXT NOT NULL CHECK (source IN ('api', 'discovered')),
  -- live: acts on the store; observe: decides and records only (no credentials, or chosen).
  mode TEXT NOT NULL CHECK (mode IN ('live', 'observe')),
  state TEXT NOT NULL CHECK (state IN ('PREFLIGHT', 'STAGE', 'INCONCLUSIVE', 'FROZEN',
    'ROLLING_BACK', 'ROLLED_BACK', 'COMPLETE', 'DETACHED')),
  stage_index INTEGER NOT NULL DEFAULT 0,
  stage_started_at INTEGER,                  -- epoch ms
  stages TEXT NOT NULL,                      -- JSON percentages, fixed at registration
  params TEXT NOT NULL,                      -- JSON judge parameters, fixed at registration
  rollback_policy TEXT NOT NULL CHECK (rollback_policy IN ('never', 'critical', 'always')),
  on_inconclusive TEXT NOT NULL CHECK (on_inconclusive IN ('hold', 'rollback')),
  judge_state TEXT,                          -- JSON judge state after the last look
  windows_from INTEGER NOT NULL,             -- first release_health window judged (epoch ms)
  rollback_preflight TEXT CHECK (rollback_preflight IN ('ok', 'failed', 'skipped')),
  rollback_version TEXT,                     -- newVersion of the planned or made :rollback
  pending_action TEXT,                       -- JSON store action in flight (crash recovery)
  open_alert TEXT,                           -- alert already sent for the current episode
  detail TEXT,
  rev INTEGER NOT NULL DEFAULT 0,
  lock_token TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (extension_id, version)
);
CREATE INDEX IF NOT EXISTS canary_rollouts_by_state ON canary_rollouts (state, extension_id);

-- One row per look at a rollout (at most one per cron tick). judge_input and judge_output are the
-- judge's exact JSON: judge(judge_input) reproduces judge_output bit for bit (§6.7).
CREATE TABLE IF NOT EXISTS canary_decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id INTEGER NOT NULL REFERENCES canary_rollouts (id),
  tick_at INTEGER NOT NULL,                  -- scheduled time of the cron tick
  mode TEXT NOT NULL CHECK (mode IN ('live', 'observe')),
  state_before TEXT NOT NULL,
  state_after TEXT NOT NULL,
  stage_index INTEGER NOT NULL,
  -- promote | hold | halt | inconclusive (the judge's), or preflight | resume | detach | alert
  decision TEXT NOT NULL,
  reasons TEXT NOT NULL,                     -- JSON array of reason codes
  judge_input TEXT,
  judge_output TEXT,
  action TEXT NOT NULL DEFAULT 'none'
    CHECK (action IN ('none', 'promote', 'rollback', 'rollback_preflight', 'complete', 'freeze', 'detach')),
  action_status TEXT NOT NULL DEFAULT 'none'
    CHECK (action_status IN ('none', 'pending', 'applied', 'already_applied', 'observe', 'failed')),
  action_result TEXT,                        -- JSON: store outcome, or error code and raw body
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (rollout_id, tick_at)
);
CREATE INDEX IF NOT EXISTS canary_decisions_by_rollout ON canary_decisions (rollout_id, id);

-- Notifications are recorded here first and delivered after: a failed delivery is retried on a
-- later tick and never lost. 'recorded': kept only (no channel to deliver to at run time).
CREATE TABLE IF NOT EXISTS canary_notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id INTEGER NOT NULL REFERENCES canary_rollouts (id),
  decision_id INTEGER REFERENCES canary_decisions (id),
  channel TEXT NOT NULL CHECK (channel IN ('github', 'slack')),
  dedupe_key TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'recorded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS canary_notifications_due ON canary_notifications (status, next_attempt_at);

-- ============================================================================================
-- triage (issue 5). Written only by the triage Worker. Repositories are stored as lowercased
-- 'owner/name' slugs; times are epoch ms.
-- ============================================================================================

-- One row per (repository, extension, fingerprint): the claim that makes "one issue per
-- fingerprint" hold under redelivery and concurrency (see workers/triage/src/issue/issue-store.ts).
-- A consumer INSERTs the row before creating the issue; whoever inserted it, or took over a
-- claim whose lease expired, is the only one allowed to create. `issue_number` is GitHub's
-- number (live); `outbox_key` names the dry-run outbox entry that would have created it.
CREATE TABLE IF NOT EXISTS triage_issues (
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('creating', 'open', 'closed')),
  claim_token TEXT,
  claimed_at INTEGER NOT NULL DEFAULT 0,
  issue_number INTEGER,
  outbox_key TEXT,
  class TEXT,
  opted_out INTEGER NOT NULL DEFAULT 0,      -- do-not-fix label or /homeostat stop
  opted_out_reason TEXT,
  synced_at INTEGER,                         -- last time the body was written (bounded rate)
  synced_events INTEGER,
  regression_at INTEGER,                     -- last regression announced on the issue
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repo, extension_id, fingerprint)
);
CREATE UNIQUE INDEX IF NOT EXISTS triage_issues_by_number
  ON triage_issues (repo, issue_number) WHERE issue_number IS NOT NULL;
-- canary-monitor looks fingerprints up by extension to find the critical ones (triage class).
CREATE INDEX IF NOT EXISTS triage_issues_by_fingerprint ON triage_issues (extension_id, fingerprint);

-- Dry-run outbox: the exact GitHub request (method, path below the API base URL, JSON body)
-- triage would have sent. `key` makes recording idempotent; `depends_on` is the key of the
-- entry whose issue `{issue_number}` in `path` stands for.
CREATE TABLE IF NOT EXISTS triage_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  repo TEXT NOT NULL,
  purpose TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  body TEXT,
  depends_on TEXT,
  created_at INTEGER NOT NULL
);

-- Release tracking issues for canary-monitor's comments (TriageRpc.postReleaseComment), claimed
-- like triage_issues, and the comments posted on them, deduplicated by content hash.
CREATE TABLE IF NOT EXISTS triage_release_issues (
  repo TEXT NOT NULL,
  release_key TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('creating', 'open')),
  claim_token TEXT,
  claimed_at INTEGER NOT NULL DEFAULT 0,
  issue_number INTEGER,
  outbox_key TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repo, release_key)
);
CREATE TABLE IF NOT EXISTS triage_release_comments (
  repo TEXT NOT NULL,
  release_key TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'recorded')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repo, release_key, content_hash)
);

-- Attempt store (issue 5, item 4): per-fingerprint fix state, one row per attempt, and every
-- gating decision with its reason. backoff_until = start of the last attempt + 24h * 2^(n-1).
CREATE TABLE IF NOT EXISTS triage_attempt_state (
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  extra_attempts INTEGER NOT NULL DEFAULT 0, -- granted by /homeostat retry past maxAttempts
  last_result TEXT NOT NULL DEFAULT 'none'
    CHECK (last_result IN ('none', 'pending', 'success', 'failure', 'abandoned')),
  last_attempt_at INTEGER,
  backoff_until INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repo, extension_id, fingerprint)
);
CREATE TABLE IF NOT EXISTS triage_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  n INTEGER NOT NULL,                        -- 1-based attempt number for this fingerprint
  run_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  result TEXT NOT NULL DEFAULT 'pending'
    CHECK (result IN ('pending', 'success', 'failure', 'abandoned')),
  branch TEXT,
  head_sha TEXT,
  pr_number INTEGER,
  pr_state TEXT NOT NULL DEFAULT 'none' CHECK (pr_state IN ('none', 'open', 'closed', 'merged')),
  UNIQUE (repo, extension_id, fingerprint, n)
);
CREATE INDEX IF NOT EXISTS triage_attempts_by_run ON triage_attempts (run_id, repo);
CREATE INDEX IF NOT EXISTS triage_attempts_by_head ON triage_attempts (repo, head_sha);
CREATE INDEX IF NOT EXISTS triage_attempts_by_pr ON triage_attempts (repo, pr_state);
CREATE TABLE IF NOT EXISTS triage_decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  run_id TEXT,
  repo TEXT NOT NULL,
  extension_id TEXT,
  fingerprint TEXT,
  action TEXT NOT NULL,                      -- e.g. 'attempt', 'retry', 'stop', 'opt_out'
  allowed INTEGER NOT NULL,
  reason TEXT NOT NULL,                      -- a closed code, e.g. 'cooldown', 'max_attempts'
  detail TEXT                                -- JSON explaining the numbers behind the reason
);
CREATE INDEX IF NOT EXISTS triage_decisions_by_fingerprint
  ON triage_decisions (repo, extension_id, fingerprint, at);

-- GitHub webhook deliveries by X-GitHub-Delivery: a repeated delivery is acknowledged and not
-- processed twice. CI events (check_suite, check_run, workflow_run, pull_request) that match an
-- attempt's head SHA are kept against that attempt for part 2 to act on.
CREATE TABLE IF NOT EXISTS triage_webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  action TEXT,
  repo TEXT,
  outcome TEXT NOT NULL,                     -- 'processing', 'processed', 'ignored', 'invalid'
  detail TEXT,
  received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS triage_ci_events (
  delivery_id TEXT PRIMARY KEY,
  attempt_id INTEGER NOT NULL,
  event TEXT NOT NULL,
  action TEXT,
  head_sha TEXT NOT NULL,
  name TEXT,
  status TEXT,
  conclusion TEXT,
  pr_number INTEGER,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS triage_ci_events_by_attempt ON triage_ci_events (attempt_id, received_at);

-- Run records (issue 5, item 8; the seeds' JSONL metrics): one row per consumer batch and
-- repository, exported as JSONL by GET /admin/runs.jsonl.
CREATE TABLE IF NOT EXISTS triage_runs (
  run_id TEXT NOT NULL,
  repo TEXT NOT NULL,
  mode TEXT NOT NULL,                        -- 'live' | 'dry-run'
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  issues_created INTEGER NOT NULL,
  issues_updated INTEGER NOT NULL,
  issues_reopened INTEGER NOT NULL,
  cooldowns INTEGER NOT NULL,
  opt_outs INTEGER NOT NULL,
  human_review INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  fingerprints TEXT NOT NULL,                -- JSON array
  error_codes TEXT NOT NULL,                 -- JSON object: code -> count
  PRIMARY KEY (run_id, repo)
);
CREATE INDEX IF NOT EXISTS triage_runs_by_time ON triage_runs (started_at);

-- ============================================================================================
-- fixer runs (issue 10, items 1 and 8). One row per fix attempt (triage_attempts.id): the stage
-- it reached, written before each step so that a redelivered fix message resumes instead of
-- repeating a model call, a commit or a PR, and everything the run record of an attempt shows.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS fix_attempt_runs (
  attempt_id INTEGER PRIMARY KEY,            -- triage_attempts.id
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  n INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  -- proposing: looking for a candidate (patterns); model_calling: a model call may have been
  -- made (never repeated for this attempt); proposed: a candidate passed the guardrails;
  -- pr_written: branch, commit and PR exist (or are in the dry-run outbox); ci_green / ci_red:
  -- the required checks decided on the head SHA; merged; no_candidate / abandoned: stopped.
  stage TEXT NOT NULL CHECK (stage IN ('proposing', 'model_calling', 'proposed', 'pr_written',
    'ci_green', 'ci_red', 'merged', 'no_candidate', 'abandoned')),
  feedback TEXT,                             -- scrubbed CI summary the attempt was given
  candidate TEXT,                            -- JSON: the candidate that passed the guardrails
  candidate_source TEXT,                     -- 'pattern:<id>' | 'model:<provider>/<model>'
  context TEXT,                              -- JSON: commit SHA, culprit, editable paths (ids and paths only)
  verdicts TEXT,                             -- JSON: guardrail verdicts of every candidate tried
  reason TEXT,                               -- closed code for no_candidate / abandoned
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  model_calls INTEGER NOT NULL DEFAULT 0,
  github_calls INTEGER NOT NULL DEFAULT 0,
  branch TEXT,
  head_sha TEXT,
  pr_url TEXT,
  ci_outcome TEXT,                           -- 'success' | 'failure' with the failing check names
  ci_summary TEXT,                           -- scrubbed, capped summary of failed checks
  merge_sha TEXT,
  timings TEXT NOT NULL DEFAULT '{}',        -- JSON: ms per step
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_attempt_runs_by_fingerprint
  ON fix_attempt_runs (repo, extension_id, fingerprint, n);
CREATE INDEX IF NOT EXISTS fix_attempt_runs_by_time ON fix_attempt_runs (created_at);

-- What a failed required check said (issue 10, item 4), kept per attempt and head SHA so the
-- next attempt's prompt can quote it. Scrubbed and capped when written: CI output can echo
-- anything, including the attacker-controlled error text.
CREATE TABLE IF NOT EXISTS fix_ci_failures (
  delivery_id TEXT PRIMARY KEY,
  attempt_id INTEGER NOT NULL,
  head_sha TEXT NOT NULL,
  name TEXT NOT NULL,
  conclusion TEXT NOT NULL,
  title TEXT,
  summary TEXT,
  annotations TEXT,                          -- first annotations, one 'path:line: message' a line
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_ci_failures_by_attempt ON fix_ci_failures (attempt_id, head_sha);

-- ============================================================================================
-- source maps (issue 9 item 2; issue 10 item 6), workers/triage/src/fix/sourcemap/. The release
-- CLI registers each release (the commit it was built from, where its build output lies in the
-- repository) and uploads the build's maps; the map bytes live in R2 (SOURCE_MAPS), these rows
-- are the index. Uploads are idempotent: the same file's re-upload replaces its row in place.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS fix_releases (
  extension_id TEXT NOT NULL,
  version TEXT NOT NULL,
  commit_sha TEXT,                           -- the commit the release was built from, when known
  build_dir TEXT NOT NULL,                   -- build output's repository path, e.g. 'examples/demo-extension/dist' ('' = root)
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (extension_id, version)
);

CREATE TABLE IF NOT EXISTS fix_source_maps (
  extension_id TEXT NOT NULL,
  version TEXT NOT NULL,
  file TEXT NOT NULL,                        -- the bundle's path in the package, e.g. '/popup.js'
  r2_key TEXT NOT NULL,                      -- maps/<extension>/<version>/<sha256>.map
  sha256 TEXT NOT NULL,                      -- hex digest of the map's bytes
  size INTEGER NOT NULL,                     -- bytes
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (extension_id, version, file)
);

-- ============================================================================================
-- model fixer (issue 9, item 5; workers/triage/src/fix/model/). One row per HTTP call to a model
-- provider, answered or failed (each retry is its own row), with the tokens the provider
-- reported — estimated from the text when it reported none (usage_estimated = 1) — and their cost
-- at the provider's configured price. The per-run and per-UTC-day budgets are sums over this
-- table, checked before every call.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS fix_model_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'rate_limited')),
  http_status INTEGER,                       -- null when no response arrived (network, timeout)
  choices INTEGER NOT NULL DEFAULT 0,        -- answers returned
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  usage_estimated INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,               -- epoch ms
  latency_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_model_calls_by_run ON fix_model_calls (run_id);
CREATE INDEX IF NOT EXISTS fix_model_calls_by_time ON fix_model_calls (started_at);

-- ============================================================================================
-- fix pull requests (issue 10, item 2; workers/triage/src/fix/pr/fix-pr-store.ts). One row per
-- (repository, extension, fingerprint, mode): the fingerprint's one fix branch and pull request,
-- and the progress of the attempt being written, recorded before each GitHub write so that a
-- redelivered attempt resumes instead of committing or opening a PR twice. `commit_sha` is
-- recorded before the branch moves to it, so the branch head is recognised as Homeostat's own
-- (head_sha or commit_sha) and anything else on it means a human pushed (Renovate's rule).
-- pr_state 'claimed' holds a PR slot (maxOpenPrs, maxPrsPerRun) before the PR exists.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS fix_pull_requests (
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('live', 'dry-run')),
  branch TEXT NOT NULL,
  run_id TEXT NOT NULL,                      -- the run that claimed the PR slot
  attempt_n INTEGER,                         -- the attempt being written (or last written)
  attempt_id INTEGER,                        -- triage_attempts.id of attempt_n
  base_sha TEXT,                             -- the parent of commit_sha (the default branch head it was made against)
  tree_sha TEXT,                             -- tree of commit_sha
  commit_sha TEXT,                           -- Homeostat's newest commit (maybe not on the branch yet)
  commit_attempt INTEGER,                    -- the attempt commit_sha was made for
  head_sha TEXT,                             -- Homeostat's last commit confirmed on the branch
  pr_number INTEGER,                         -- live
  pr_key TEXT,                               -- dry-run: the outbox entry that would create the PR
  pr_url TEXT,
  pr_state TEXT NOT NULL CHECK (pr_state IN ('claimed', 'open', 'closed', 'merged')),
  hands_off TEXT CHECK (hands_off IN ('human_pushed', 'closed_by_human')),
  written_attempt INTEGER,                   -- the last attempt whose branch, PR and labels are all written
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repo, extension_id, fingerprint, mode)
);
CREATE INDEX IF NOT EXISTS fix_pull_requests_by_state ON fix_pull_requests (repo, mode, pr_state);
CREATE INDEX IF NOT EXISTS fix_pull_requests_by_run ON fix_pull_requests (run_id, repo);
CREATE INDEX IF NOT EXISTS fix_pull_requests_by_number ON fix_pull_requests (repo, pr_number);

-- fix guardrails (issue 9, item 6; workers/triage/src/fix/guardrails/). One row per distinct
-- candidate diff judged in a run's attempt, pattern or model alike: 'pass', or 'reject' with the
-- closed reason codes and paths (never the offending content). diff_sha256 hashes the
-- normalised change, so a redelivered message records the same verdict once.
CREATE TABLE IF NOT EXISTS fix_guardrail_verdicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  candidate_kind TEXT NOT NULL CHECK (candidate_kind IN ('pattern', 'model')),
  candidate_ref TEXT NOT NULL,               -- pattern id, or provider/model
  diff_sha256 TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'reject')),
  reasons TEXT NOT NULL,                     -- JSON array of {reason, path?}
  stats TEXT NOT NULL,                       -- JSON {files, added, removed}
  created_at INTEGER NOT NULL,
  UNIQUE (run_id, fingerprint, attempt, diff_sha256)
);
CREATE INDEX IF NOT EXISTS fix_guardrail_verdicts_by_fingerprint
  ON fix_guardrail_verdicts (repo, extension_id, fingerprint, created_at);

-- ============================================================================================
-- fix pattern library (issue 9, item 4; seed 001). One row per pattern: built-in ones (scope '*',
-- seeded idempotently by ensureBuiltinPatterns) and ones learned from human-merged fixes (scope =
-- the lowercased repository slug, production only). A signature (error type, parameterised
-- message template with <@holes>, culprit frame shape; '*' = any) selects a closed transform id
-- with its JSON params. Confidence moves by EMA (alpha 0.1) on outcomes; a pattern under 0.5
-- after 10 uses is retired. workers/triage/src/fix/patterns/.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS fix_patterns (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,                       -- '*' (built-in) | lowercased repo slug (learned)
  error_type TEXT NOT NULL,                  -- e.g. 'TypeError', or '*'
  message_template TEXT NOT NULL,            -- parameterizeMessage text with <@name> holes
  frame_shape TEXT NOT NULL,                 -- e.g. 'member-read', 'json-parse', or '*'
  transform TEXT NOT NULL,                   -- closed id (patterns/transforms/transform-registry.ts)
  params TEXT NOT NULL DEFAULT '{}',         -- JSON, validated by the transform
  confidence REAL NOT NULL,
  uses INTEGER NOT NULL DEFAULT 0,
  successes INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired', 'quarantined')),
  provenance TEXT NOT NULL CHECK (provenance IN ('builtin', 'learned')),
  source_pr_url TEXT,                        -- learned: the merged PR it came from
  source_repo TEXT,
  learned_env TEXT,                          -- HOMEOSTAT_ENV it was learned in
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_patterns_by_scope ON fix_patterns (scope, state);

-- One row per counted outcome (e.g. per fix attempt id), so that a redelivered webhook does not
-- move a pattern's confidence twice.
CREATE TABLE IF NOT EXISTS fix_pattern_outcomes (
  outcome_id TEXT PRIMARY KEY,
  pattern_id TEXT NOT NULL,
  success INTEGER NOT NULL,
  env TEXT NOT NULL,
  counted INTEGER NOT NULL DEFAULT 0,
  recorded_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_pattern_outcomes_by_pattern ON fix_pattern_outcomes (pattern_id, recorded_at);

-- Issue 11, item 3 (triage webhooks, src/webhook/command-store.ts): a `/homeostat` command is
-- obeyed once per comment id, whatever delivery id the same signed body arrives under.
-- outcome: 'processing' (claimed; taken over after a lease), 'obeyed', 'refused'.
CREATE TABLE IF NOT EXISTS triage_webhook_commands (
  repo TEXT NOT NULL,
  comment_id INTEGER NOT NULL,
  command TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('processing', 'obeyed', 'refused')),
  claimed_at INTEGER NOT NULL,
  PRIMARY KEY (repo, comment_id)
);

-- Issue 11, item 2 (triage, src/issue/issue-cap.ts, digest-issue.ts): the daily cap on new
-- GitHub issues per repository. One slot per fingerprint that would get a new issue: 'issue'
-- while the UTC day's count is under limits.newIssuesPerDay, else 'digest' (listed in the day's
-- digest issue; weighed again on a later day).
CREATE TABLE IF NOT EXISTS triage_issue_slots (
  repo TEXT NOT NULL,
  extension_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  day TEXT NOT NULL,                         -- UTC 'YYYY-MM-DD'
  kind TEXT NOT NULL CHECK (kind IN ('issue', 'digest')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repo, extension_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS triage_issue_slots_by_day ON triage_issue_slots (repo, day, kind);
-- One digest issue per repository and UTC day, claimed like triage_issues; synced_count is how
-- many overflowed fingerprints its body shows.
CREATE TABLE IF NOT EXISTS triage_digests (
  repo TEXT NOT NULL,
  day TEXT NOT NULL,
  claim_token TEXT,
  claimed_at INTEGER NOT NULL DEFAULT 0,
  issue_number INTEGER,
  outbox_key TEXT,
  synced_count INTEGER NOT NULL DEFAULT 0,
  synced_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repo, day)
);

-- ============================================================================================
-- issue 13, item 2: the Sentry importer (workers/triage/src/import/). One row per configured
-- Sentry source ('<origin>|<org>|<project>', lowercased): where its pass through the unresolved
-- issues stands (the Link cursor of the page to read next; NULL starts a new pass), until when it
-- must wait (Sentry's rate limit, a failing API, ingest's limits), and a lease so that two cron
-- ticks never page the same source at once. Per issue, the `lastSeen` whose latest event was
-- imported: an issue Sentry has seen nothing new for is not fetched again.
-- ============================================================================================
CREATE TABLE IF NOT EXISTS import_sentry_sources (
  source_key TEXT PRIMARY KEY,
  cursor TEXT,
  pass_started_at INTEGER,
  resume_after INTEGER NOT NULL DEFAULT 0,   -- epoch ms
  lease_until INTEGER NOT NULL DEFAULT 0,    -- epoch ms
  last_run_at INTEGER,
  last_outcome TEXT,                         -- ImportOutcome (sentry-import.cron.ts)
  imported INTEGER NOT NULL DEFAULT 0,       -- events ingest accepted, all time
  updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS import_sentry_issues (
  source_key TEXT NOT NULL,
  issue_id TEXT NOT NULL,
  last_seen TEXT NOT NULL,                   -- the issue's lastSeen when its event was imported
  event_id TEXT NOT NULL,
  imported_at INTEGER NOT NULL,
  PRIMARY KEY (source_key, issue_id)
);
