import {
  FingerprintsRowSchema,
  FingerprintVersionsRowSchema,
  SamplesRowSchema,
} from '@homeostat/shared';
import { z } from 'zod';

/**
 * Every read the console makes (issue 12, item 1). Each row is parsed with zod: the rows come from
 * three Workers' tables, and a page must fail loudly on a drifted column rather than render
 * `undefined`. Every text column holds scrubbed data only (D1-schema.sql), but it is still
 * attacker-influenced and is rendered only through escaping JSX.
 */

const int = z.number().int();
const text = z.string();
const opt = <T extends z.ZodType>(s: T) => s.nullable();

export const PROBLEM_SORTS = ['last_seen', 'first_seen', 'events', 'installs'] as const;
export type ProblemSort = (typeof PROBLEM_SORTS)[number];
export const PROBLEM_STATES = ['pending', 'open', 'fixed', 'regressed'] as const;

export const ProblemFilterSchema = z.object({
  extension: z
    .string()
    .regex(/^[a-p]{32}$/)
    .optional()
    .catch(undefined),
  state: z.enum(PROBLEM_STATES).optional().catch(undefined),
  class: z.enum(['safe', 'needs-validation', 'critical']).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  sort: z.enum(PROBLEM_SORTS).default('last_seen').catch('last_seen'),
});
export type ProblemFilter = z.infer<typeof ProblemFilterSchema>;

// The ingest tables' columns are parsed with the read model's schemas (packages/shared/src/
// read-model, issue 14 item 4); triage's own columns are added here.
const ProblemRowSchema = FingerprintsRowSchema.omit({ flushed_at: true }).extend({
  repo: opt(text),
  class: opt(text),
  issue_number: opt(int),
  issue_state: opt(text),
  outbox_key: opt(text),
  pr_url: opt(text),
  pr_state: opt(text),
});
export type ProblemRow = z.infer<typeof ProblemRowSchema>;

const PROBLEM_COLUMNS = `f.extension_id, f.fingerprint, f.error_type, f.title, f.culprit, f.events, f.installs,
  f.installs_approximate, f.first_seen, f.last_seen, f.first_version, f.last_version, f.state,
  f.fixed_in_version, f.daily_events, i.repo, i.class, i.issue_number, i.state AS issue_state, i.outbox_key,
  (SELECT p.pr_url FROM fix_pull_requests p WHERE p.extension_id = f.extension_id
     AND p.fingerprint = f.fingerprint ORDER BY p.updated_at DESC LIMIT 1) AS pr_url,
  (SELECT p.pr_state FROM fix_pull_requests p WHERE p.extension_id = f.extension_id
     AND p.fingerprint = f.fingerprint ORDER BY p.updated_at DESC LIMIT 1) AS pr_state`;

const ORDER: Record<ProblemSort, string> = {
  last_seen: 'f.last_seen DESC',
  first_seen: 'f.first_seen DESC',
  events: 'f.events DESC',
  installs: 'f.installs DESC',
};

function rows<T extends z.ZodType>(schema: T, result: D1Result<unknown>): z.output<T>[] {
  return result.results.map((r) => schema.parse(r));
}

/**
 * `db.batch` answers one result per statement; this says so to the type checker, once, instead of
 * every caller checking each destructured result for `undefined`.
 */
async function batch<const T extends readonly D1PreparedStatement[]>(
  db: D1Database,
  statements: T,
): Promise<{ [K in keyof T]: D1Result<unknown> }> {
  const results = await db.batch([...statements]);
  if (results.length !== statements.length) {
    throw new Error('D1 batch returned fewer results than statements');
  }
  return results as { [K in keyof T]: D1Result<unknown> };
}

export async function listProblems(
  db: D1Database,
  filter: ProblemFilter,
  limit = 200,
): Promise<ProblemRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.extension !== undefined) {
    where.push('f.extension_id = ?');
    params.push(filter.extension);
  }
  if (filter.state !== undefined) {
    where.push('f.state = ?');
    params.push(filter.state);
  }
  if (filter.class !== undefined) {
    where.push('i.class = ?');
    params.push(filter.class);
  }
  if (filter.q !== undefined && filter.q !== '') {
    // instr, not LIKE: the search text is data, and `%` or `_` in it must not act as wildcards.
    where.push('(instr(lower(f.title), lower(?)) > 0 OR instr(f.fingerprint, ?) > 0)');
    params.push(filter.q, filter.q);
  }
  const sql = `SELECT ${PROBLEM_COLUMNS} FROM fingerprints f
    LEFT JOIN triage_issues i ON i.extension_id = f.extension_id AND i.fingerprint = f.fingerprint
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${ORDER[filter.sort]} LIMIT ?`;
  const result = await db
    .prepare(sql)
    .bind(...params, limit)
    .all();
  return rows(ProblemRowSchema, result);
}

export async function getProblem(
  db: D1Database,
  extensionId: string,
  fingerprint: string,
): Promise<ProblemRow | null> {
  const result = await db
    .prepare(
      `SELECT ${PROBLEM_COLUMNS} FROM fingerprints f
       LEFT JOIN triage_issues i ON i.extension_id = f.extension_id AND i.fingerprint = f.fingerprint
       WHERE f.extension_id = ? AND f.fingerprint = ? LIMIT 1`,
    )
    .bind(extensionId, fingerprint)
    .all();
  return rows(ProblemRowSchema, result)[0] ?? null;
}

const SampleRowSchema = SamplesRowSchema.pick({
  event_id: true,
  version: true,
  surface: true,
  occurred_at: true,
  event: true,
});
export type SampleRow = z.infer<typeof SampleRowSchema>;

const VersionRowSchema = FingerprintVersionsRowSchema.pick({
  version: true,
  surface: true,
  events: true,
  sessions: true,
  last_seen: true,
});
export type VersionRow = z.infer<typeof VersionRowSchema>;

const TimelineRowSchema = z.object({ at: int, what: text, detail: opt(text) });
export type TimelineRow = z.infer<typeof TimelineRowSchema>;

const AttemptRowSchema = z.object({
  id: int,
  n: int,
  repo: text,
  started_at: int,
  finished_at: opt(int),
  result: text,
  pr_number: opt(int),
  pr_state: text,
  head_sha: opt(text),
  stage: opt(text),
  candidate_source: opt(text),
  reason: opt(text),
  cost_usd: opt(z.number()),
  model_calls: opt(int),
  ci_outcome: opt(text),
  pr_url: opt(text),
  merge_sha: opt(text),
});
export type AttemptRow = z.infer<typeof AttemptRowSchema>;

const VerdictRowSchema = z.object({
  attempt: int,
  candidate_kind: text,
  candidate_ref: text,
  verdict: text,
  reasons: text,
  stats: text,
  created_at: int,
});
export type VerdictRow = z.infer<typeof VerdictRowSchema>;

const CiRowSchema = z.object({
  attempt_id: int,
  event: text,
  name: opt(text),
  status: opt(text),
  conclusion: opt(text),
  head_sha: text,
  received_at: int,
});
export type CiRow = z.infer<typeof CiRowSchema>;

const DecisionRowSchema = z.object({
  at: int,
  action: text,
  allowed: int,
  reason: text,
});
export type DecisionRow = z.infer<typeof DecisionRowSchema>;

export interface ProblemDetail {
  samples: SampleRow[];
  versions: VersionRow[];
  timeline: TimelineRow[];
  attempts: AttemptRow[];
  verdicts: VerdictRow[];
  ci: CiRow[];
  decisions: DecisionRow[];
}

/** Everything the problem page shows, in one D1 batch (one round trip). */
export async function getProblemDetail(
  db: D1Database,
  extensionId: string,
  fingerprint: string,
): Promise<ProblemDetail> {
  const [samples, versions, transitions, attempts, verdicts, ci, decisions] = await batch(db, [
    db
      .prepare(
        `SELECT event_id, version, surface, occurred_at, event FROM samples
         WHERE extension_id = ? AND fingerprint = ? ORDER BY received_at DESC LIMIT 10`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT version, surface, events, sessions, last_seen FROM fingerprint_versions
         WHERE extension_id = ? AND fingerprint = ? ORDER BY last_seen DESC LIMIT 200`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT at, 'transition:' || kind AS what, version AS detail FROM fingerprint_transitions
         WHERE extension_id = ? AND fingerprint = ?
         UNION ALL
         SELECT resolved_at AS at, 'resolved:' || source AS what, fixed_in_version AS detail
         FROM fingerprint_resolutions WHERE extension_id = ? AND fingerprint = ?
         ORDER BY at DESC LIMIT 100`,
      )
      .bind(extensionId, fingerprint, extensionId, fingerprint),
    db
      .prepare(
        `SELECT a.id, a.n, a.repo, a.started_at, a.finished_at, a.result, a.pr_number, a.pr_state,
                a.head_sha, r.stage, r.candidate_source, r.reason, r.cost_usd, r.model_calls,
                r.ci_outcome, r.pr_url, r.merge_sha
         FROM triage_attempts a LEFT JOIN fix_attempt_runs r ON r.attempt_id = a.id
         WHERE a.extension_id = ? AND a.fingerprint = ? ORDER BY a.n DESC LIMIT 50`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT attempt, candidate_kind, candidate_ref, verdict, reasons, stats, created_at
         FROM fix_guardrail_verdicts WHERE extension_id = ? AND fingerprint = ?
         ORDER BY created_at DESC LIMIT 50`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT c.attempt_id, c.event, c.name, c.status, c.conclusion, c.head_sha, c.received_at
         FROM triage_ci_events c JOIN triage_attempts a ON a.id = c.attempt_id
         WHERE a.extension_id = ? AND a.fingerprint = ? ORDER BY c.received_at DESC LIMIT 100`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT at, action, allowed, reason FROM triage_decisions
         WHERE extension_id = ? AND fingerprint = ? ORDER BY at DESC LIMIT 100`,
      )
      .bind(extensionId, fingerprint),
  ]);
  return {
    samples: rows(SampleRowSchema, samples),
    versions: rows(VersionRowSchema, versions),
    timeline: rows(TimelineRowSchema, transitions),
    attempts: rows(AttemptRowSchema, attempts),
    verdicts: rows(VerdictRowSchema, verdicts),
    ci: rows(CiRowSchema, ci),
    decisions: rows(DecisionRowSchema, decisions),
  };
}

const FixRowSchema = AttemptRowSchema.extend({
  extension_id: text,
  fingerprint: text,
  title: opt(text),
});
export type FixRow = z.infer<typeof FixRowSchema>;

const SpendRowSchema = z.object({ day: text, cost_usd: z.number(), calls: int });
export type SpendRow = z.infer<typeof SpendRowSchema>;

const OutcomeRowSchema = z.object({ result: text, n: int });

export interface FixesView {
  attempts: FixRow[];
  spend: SpendRow[];
  outcomes: Record<string, number>;
}

export async function getFixes(db: D1Database, now: number): Promise<FixesView> {
  const since = now - 14 * 86_400_000;
  const [attempts, spend, outcomes] = await batch(db, [
    db.prepare(
      `SELECT a.id, a.n, a.repo, a.extension_id, a.fingerprint, a.started_at, a.finished_at, a.result,
              a.pr_number, a.pr_state, a.head_sha, r.stage, r.candidate_source, r.reason, r.cost_usd,
              r.model_calls, r.ci_outcome, r.pr_url, r.merge_sha, f.title
       FROM triage_attempts a LEFT JOIN fix_attempt_runs r ON r.attempt_id = a.id
       LEFT JOIN fingerprints f ON f.extension_id = a.extension_id AND f.fingerprint = a.fingerprint
       ORDER BY a.started_at DESC LIMIT 100`,
    ),
    db
      .prepare(
        `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day,
                SUM(cost_usd) AS cost_usd, COUNT(*) AS calls
         FROM fix_model_calls WHERE started_at >= ? GROUP BY day ORDER BY day DESC`,
      )
      .bind(since),
    db.prepare('SELECT result, COUNT(*) AS n FROM triage_attempts GROUP BY result'),
  ]);
  return {
    attempts: rows(FixRowSchema, attempts),
    spend: rows(SpendRowSchema, spend),
    outcomes: Object.fromEntries(rows(OutcomeRowSchema, outcomes).map((o) => [o.result, o.n])),
  };
}

const RolloutRowSchema = z.object({
  id: int,
  extension_id: text,
  version: text,
  baseline_version: opt(text),
  mode: text,
  state: text,
  stage_index: int,
  stages: text,
  stage_started_at: opt(int),
  updated_at: int,
  detail: opt(text),
});
export type RolloutRow = z.infer<typeof RolloutRowSchema>;

export async function listRollouts(db: D1Database): Promise<RolloutRow[]> {
  const result = await db
    .prepare(
      `SELECT id, extension_id, version, baseline_version, mode, state, stage_index, stages,
              stage_started_at, updated_at, detail
       FROM canary_rollouts ORDER BY created_at DESC LIMIT 100`,
    )
    .all();
  return rows(RolloutRowSchema, result);
}

const RolloutDecisionRowSchema = z.object({
  id: int,
  tick_at: int,
  state_before: text,
  state_after: text,
  stage_index: int,
  decision: text,
  reasons: text,
  judge_output: opt(text),
  action: text,
  action_status: text,
});
export type RolloutDecisionRow = z.infer<typeof RolloutDecisionRowSchema>;

const HealthRowSchema = z.object({
  version: text,
  sessions: int,
  error_sessions: int,
  windows: int,
  last_window: int,
});
export type HealthRow = z.infer<typeof HealthRowSchema>;

export interface RolloutDetail {
  rollout: RolloutRow;
  decisions: RolloutDecisionRow[];
  health: HealthRow[];
}

export async function getRollout(db: D1Database, id: number): Promise<RolloutDetail | null> {
  const rollout = rows(
    RolloutRowSchema,
    await db
      .prepare(
        `SELECT id, extension_id, version, baseline_version, mode, state, stage_index, stages,
                stage_started_at, updated_at, detail FROM canary_rollouts WHERE id = ?`,
      )
      .bind(id)
      .all(),
  )[0];
  if (rollout === undefined) return null;
  const [decisions, health] = await batch(db, [
    db
      .prepare(
        `SELECT id, tick_at, state_before, state_after, stage_index, decision, reasons, judge_output,
                action, action_status
         FROM canary_decisions WHERE rollout_id = ? ORDER BY tick_at ASC LIMIT 2000`,
      )
      .bind(id),
    db
      .prepare(
        `SELECT version, SUM(sessions) AS sessions, SUM(error_sessions) AS error_sessions,
                COUNT(*) AS windows, MAX(window_start) AS last_window
         FROM release_health WHERE extension_id = ? GROUP BY version
         ORDER BY last_window DESC LIMIT 20`,
      )
      .bind(rollout.extension_id),
  ]);
  return {
    rollout,
    decisions: rows(RolloutDecisionRowSchema, decisions),
    health: rows(HealthRowSchema, health),
  };
}

const OutboxRowSchema = z.object({
  id: int,
  repo: text,
  purpose: text,
  method: text,
  path: text,
  body: opt(text),
  created_at: int,
});
export type OutboxRow = z.infer<typeof OutboxRowSchema>;

export async function listOutboxPage(
  db: D1Database,
  before: number | undefined,
  limit = 100,
): Promise<OutboxRow[]> {
  const result = await db
    .prepare(
      `SELECT id, repo, purpose, method, path, body, created_at FROM triage_outbox
       WHERE id < ? ORDER BY id DESC LIMIT ?`,
    )
    .bind(before ?? Number.MAX_SAFE_INTEGER, limit)
    .all();
  return rows(OutboxRowSchema, result);
}
