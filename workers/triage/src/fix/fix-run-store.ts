import { z } from 'zod';
import type { IssueKey } from '../issue/issue-store.ts';
import { repoKey } from '../issue/issue-store.ts';

/**
 * `fix_attempt_runs`: one row per fix attempt, advanced stage by stage with a compare-and-set on
 * the stage (issue 10, items 1 and 8). Queue delivery is at-least-once and a consumer can die
 * between any two steps, so every step first moves the row to the stage that says what it is
 * about to do; a redelivered message reads the stage and resumes, and the one step that must
 * never run twice — a model call that may already have been billed — is recognised by its stage
 * (`model_calling`) and not repeated.
 */

export const FIX_STAGES = [
  'proposing',
  'model_calling',
  'proposed',
  'pr_written',
  'ci_green',
  'ci_red',
  'merged',
  'no_candidate',
  'abandoned',
] as const;
export type FixStage = (typeof FIX_STAGES)[number];

/** Closed reasons an attempt stops without a PR (or with one it may no longer touch). */
export type FixStopReason =
  | 'not_localized'
  | 'source_unreadable'
  | 'no_pattern_no_model'
  | 'budget_exhausted'
  | 'no_eligible_provider'
  | 'provider_failed'
  | 'no_usable_answer'
  | 'all_rejected'
  | 'interrupted_model_call'
  | 'human_pushed'
  | 'closed_by_human'
  | 'cap_reached'
  | 'superseded' // a newer attempt or PR decision took over while the PR was being written
  | 'critical_class'
  | 'issue_missing';

const RunRowSchema = z.object({
  attempt_id: z.number(),
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
  n: z.number(),
  run_id: z.string(),
  stage: z.enum(FIX_STAGES),
  feedback: z.string().nullable(),
  candidate: z.string().nullable(),
  candidate_source: z.string().nullable(),
  context: z.string().nullable(),
  verdicts: z.string().nullable(),
  reason: z.string().nullable(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
  model_calls: z.number(),
  github_calls: z.number(),
  branch: z.string().nullable(),
  head_sha: z.string().nullable(),
  pr_url: z.string().nullable(),
  ci_outcome: z.string().nullable(),
  ci_summary: z.string().nullable(),
  merge_sha: z.string().nullable(),
  timings: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type FixRunRow = z.infer<typeof RunRowSchema>;

export interface FixRunPatch {
  feedback?: string | null;
  candidate?: string | null;
  candidateSource?: string | null;
  context?: string | null;
  verdicts?: string | null;
  reason?: FixStopReason | null;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  modelCalls?: number;
  githubCalls?: number;
  branch?: string | null;
  headSha?: string | null;
  prUrl?: string | null;
  ciOutcome?: string | null;
  ciSummary?: string | null;
  mergeSha?: string | null;
  /** Merged into the stored timings. */
  timings?: Record<string, number>;
}

const COLUMNS: Record<Exclude<keyof FixRunPatch, 'timings'>, string> = {
  feedback: 'feedback',
  candidate: 'candidate',
  candidateSource: 'candidate_source',
  context: 'context',
  verdicts: 'verdicts',
  reason: 'reason',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  costUsd: 'cost_usd',
  modelCalls: 'model_calls',
  githubCalls: 'github_calls',
  branch: 'branch',
  headSha: 'head_sha',
  prUrl: 'pr_url',
  ciOutcome: 'ci_outcome',
  ciSummary: 'ci_summary',
  mergeSha: 'merge_sha',
};

const TimingsSchema = z.record(z.string(), z.number()).catch({});

export class FixRunStore {
  readonly #db: D1Database;
  readonly #now: () => number;

  constructor(db: D1Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** The attempt's run row, created in `proposing` if it does not exist yet. */
  async open(
    attemptId: number,
    key: IssueKey,
    n: number,
    runId: string,
    feedback: string | null,
  ): Promise<FixRunRow> {
    const now = this.#now();
    await this.#db
      .prepare(
        `INSERT INTO fix_attempt_runs (attempt_id, repo, extension_id, fingerprint, n, run_id, stage,
           feedback, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'proposing', ?7, ?8, ?8)
         ON CONFLICT (attempt_id) DO NOTHING`,
      )
      .bind(attemptId, repoKey(key.repo), key.extensionId, key.fingerprint, n, runId, feedback, now)
      .run();
    const row = await this.get(attemptId);
    if (row === null) throw new Error('fix run row vanished after insert');
    return row;
  }

  async get(attemptId: number): Promise<FixRunRow | null> {
    const row = await this.#db
      .prepare('SELECT * FROM fix_attempt_runs WHERE attempt_id = ?1')
      .bind(attemptId)
      .first();
    return row === null ? null : RunRowSchema.parse(row);
  }

  /** Runs created since `since`, oldest first (run records). */
  async list(since: number, limit: number): Promise<FixRunRow[]> {
    const { results } = await this.#db
      .prepare(
        `SELECT * FROM fix_attempt_runs WHERE created_at >= ?1
         ORDER BY created_at, attempt_id LIMIT ?2`,
      )
      .bind(since, limit)
      .all();
    return results.map((r) => RunRowSchema.parse(r));
  }

  /** The newest run of a fingerprint (its CI summary feeds the next attempt's prompt). */
  async latest(key: IssueKey): Promise<FixRunRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT * FROM fix_attempt_runs WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3
         ORDER BY n DESC LIMIT 1`,
      )
      .bind(repoKey(key.repo), key.extensionId, key.fingerprint)
      .first();
    return row === null ? null : RunRowSchema.parse(row);
  }

  /** Pattern fixes of this fingerprint that CI already refused (their source refs). */
  async refusedPatterns(key: IssueKey): Promise<Set<string>> {
    const { results } = await this.#db
      .prepare(
        `SELECT DISTINCT candidate_source FROM fix_attempt_runs
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND stage = 'ci_red'
           AND candidate_source LIKE 'pattern:%'`,
      )
      .bind(repoKey(key.repo), key.extensionId, key.fingerprint)
      .all();
    return new Set(
      results.map((r) => z.object({ candidate_source: z.string() }).parse(r).candidate_source),
    );
  }

  /**
   * Moves the run from one of `from` to `to` and applies the patch in the same statement;
   * returns false when another delivery moved it first (the caller then stops).
   */
  async advance(
    attemptId: number,
    from: readonly FixStage[],
    to: FixStage,
    patch: FixRunPatch = {},
  ): Promise<boolean> {
    const sets: string[] = ['stage = ?1', 'updated_at = ?2'];
    const binds: unknown[] = [to, this.#now()];
    for (const [k, column] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string][]) {
      const value = patch[k];
      if (value === undefined) continue;
      binds.push(value);
      sets.push(`${column} = ?${binds.length}`);
    }
    if (patch.timings !== undefined) {
      binds.push(JSON.stringify(patch.timings));
      // json_patch merges the new step times into those already recorded.
      sets.push(`timings = json_patch(timings, ?${binds.length})`);
    }
    binds.push(attemptId);
    const idIndex = binds.length;
    const fromMarks = from.map((s) => {
      binds.push(s);
      return `?${binds.length}`;
    });
    const result = await this.#db
      .prepare(
        `UPDATE fix_attempt_runs SET ${sets.join(', ')}
         WHERE attempt_id = ?${idIndex} AND stage IN (${fromMarks.join(', ')})`,
      )
      .bind(...binds)
      .run();
    return (result.meta.changes ?? 0) > 0;
  }

  static timings(row: FixRunRow): Record<string, number> {
    return TimingsSchema.parse(JSON.parse(row.timings));
  }
}
