import type { RepositoryConfig } from '@homeostat/shared';
import { z } from 'zod';
import { type IssueKey, repoKey } from './issue/issue-store.ts';
import type { AttemptStateView } from './issue/issue-template.ts';

/**
 * The attempt store (issue 5, item 4; seeds 001/002 "AttemptStore", now in D1): how many fix
 * attempts a fingerprint has had, the last result, `backoffUntil` = start of attempt n +
 * 24h · 2ⁿ⁻¹ (24h, 48h, 96h), at most `maxAttempts` (3), at most `maxPrsPerRun` attempts per
 * repository per run and `maxOpenPrs` open PRs per repository. Every decision is written to
 * `triage_decisions` with a closed reason code and the numbers behind it, so "why did (not)
 * Homeostat try?" is answered by a query.
 *
 * `begin` is atomic: the gating conditions are part of the INSERT of the attempt, and the
 * attempt number is unique per fingerprint, so two consumers cannot both start attempt n, and
 * the budget cannot be overspent by a race. The per-fingerprint summary row is written in the
 * same D1 batch (a transaction), so a crash cannot leave an attempt without its backoff.
 */

export const BACKOFF_BASE_MS = 24 * 60 * 60 * 1000;

/** 24h · 2ⁿ⁻¹ after the start of attempt n (n ≥ 1). */
export function backoffMs(n: number): number {
  return BACKOFF_BASE_MS * 2 ** Math.max(0, n - 1);
}

export type AttemptResult = 'pending' | 'success' | 'failure' | 'abandoned';

export type DecisionReason =
  | 'eligible'
  | 'opted_out'
  | 'human_review'
  | 'issue_closed'
  | 'max_attempts'
  | 'cooldown'
  | 'attempt_pending'
  | 'open_pr_cap'
  | 'run_budget'
  | 'retry_granted'
  | 'stopped'
  | 'untrusted_commenter'
  | 'day_budget' // the model budget of the day is spent (issue 10, item 1)
  | 'issue_capped'; // no issue of its own: over the day's cap, in the digest (issue 11, item 2)

export interface AttemptDecision {
  allowed: boolean;
  reason: DecisionReason;
  detail: Record<string, number | string | boolean | null>;
}

export interface AttemptState {
  attempts: number;
  extraAttempts: number;
  lastResult: 'none' | AttemptResult;
  lastAttemptAt: number | null;
  backoffUntil: number | null;
}

export interface GateContext {
  runId: string;
  optedOut: boolean;
  autoFixable: boolean;
  issueOpen: boolean;
}

const StateRowSchema = z.object({
  attempts: z.number(),
  extra_attempts: z.number(),
  last_result: z.enum(['none', 'pending', 'success', 'failure', 'abandoned']),
  last_attempt_at: z.number().nullable(),
  backoff_until: z.number().nullable(),
});

const CountSchema = z.object({ n: z.number() });
const AttemptRowSchema = z.object({
  id: z.number(),
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
  n: z.number(),
  head_sha: z.string().nullable(),
  pr_number: z.number().nullable(),
});
export type AttemptRow = z.infer<typeof AttemptRowSchema>;

const EMPTY: AttemptState = {
  attempts: 0,
  extraAttempts: 0,
  lastResult: 'none',
  lastAttemptAt: null,
  backoffUntil: null,
};

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export class AttemptStore {
  readonly #db: D1Database;
  readonly #now: () => number;

  constructor(db: D1Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async state(key: IssueKey): Promise<AttemptState> {
    const row = await this.#db
      .prepare(
        `SELECT attempts, extra_attempts, last_result, last_attempt_at, backoff_until
         FROM triage_attempt_state WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3`,
      )
      .bind(repoKey(key.repo), key.extensionId, key.fingerprint)
      .first();
    if (row === null) return EMPTY;
    const s = StateRowSchema.parse(row);
    return {
      attempts: s.attempts,
      extraAttempts: s.extra_attempts,
      lastResult: s.last_result,
      lastAttemptAt: s.last_attempt_at,
      backoffUntil: s.backoff_until,
    };
  }

  async #count(sql: string, ...binds: unknown[]): Promise<number> {
    const row = await this.#db
      .prepare(sql)
      .bind(...binds)
      .first();
    return CountSchema.parse(row).n;
  }

  /** Whether an attempt may start now, and why (reads only; `begin` enforces atomically). */
  async evaluate(
    key: IssueKey,
    repo: RepositoryConfig,
    ctx: GateContext,
  ): Promise<AttemptDecision> {
    const now = this.#now();
    const s = await this.state(key);
    const limit = repo.maxAttempts + s.extraAttempts;
    const base = { attempts: s.attempts, maxAttempts: limit };
    if (ctx.optedOut) return { allowed: false, reason: 'opted_out', detail: base };
    if (!ctx.autoFixable) return { allowed: false, reason: 'human_review', detail: base };
    if (!ctx.issueOpen) return { allowed: false, reason: 'issue_closed', detail: base };
    if (s.attempts >= limit) return { allowed: false, reason: 'max_attempts', detail: base };
    if (s.backoffUntil !== null && s.backoffUntil > now) {
      return {
        allowed: false,
        reason: 'cooldown',
        detail: { ...base, backoffUntil: iso(s.backoffUntil) },
      };
    }
    if (s.lastResult === 'pending')
      return { allowed: false, reason: 'attempt_pending', detail: base };
    const openPrs = await this.#count(
      // Retries reuse their fingerprint's PR: count PRs, not the attempts attached to them.
      `SELECT count(DISTINCT pr_number) AS n FROM triage_attempts WHERE repo = ?1 AND pr_state = 'open'`,
      repoKey(key.repo),
    );
    if (openPrs >= repo.maxOpenPrs) {
      return {
        allowed: false,
        reason: 'open_pr_cap',
        detail: { ...base, openPrs, maxOpenPrs: repo.maxOpenPrs },
      };
    }
    const inRun = await this.#count(
      `SELECT count(*) AS n FROM triage_attempts WHERE repo = ?1 AND run_id = ?2`,
      repoKey(key.repo),
      ctx.runId,
    );
    if (inRun >= repo.maxPrsPerRun) {
      return {
        allowed: false,
        reason: 'run_budget',
        detail: { ...base, inRun, maxPrsPerRun: repo.maxPrsPerRun },
      };
    }
    return { allowed: true, reason: 'eligible', detail: base };
  }

  /**
   * Starts attempt n+1 if every gate allows it, atomically; returns the attempt id and the
   * decision (logged either way).
   */
  async begin(
    key: IssueKey,
    repo: RepositoryConfig,
    ctx: GateContext,
  ): Promise<{ decision: AttemptDecision; attemptId: number | null; n: number | null }> {
    const pre = await this.evaluate(key, repo, ctx);
    if (!pre.allowed) {
      await this.recordDecision(key, 'attempt', pre, ctx.runId);
      return { decision: pre, attemptId: null, n: null };
    }
    const now = this.#now();
    const r = repoKey(key.repo);
    let inserted: unknown;
    try {
      const [attempt] = await this.#db.batch([
        this.#db
          .prepare(
            `INSERT INTO triage_attempts (repo, extension_id, fingerprint, n, run_id, started_at)
             SELECT ?1, ?2, ?3, COALESCE((SELECT max(n) FROM triage_attempts
                                          WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3), 0) + 1,
                    ?4, ?5
             WHERE COALESCE((SELECT attempts FROM triage_attempt_state
                             WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3), 0)
                   < ?6 + COALESCE((SELECT extra_attempts FROM triage_attempt_state
                                    WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3), 0)
               AND COALESCE((SELECT backoff_until FROM triage_attempt_state
                             WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3), 0) <= ?5
               AND NOT EXISTS (SELECT 1 FROM triage_attempts WHERE repo = ?1 AND extension_id = ?2
                               AND fingerprint = ?3 AND result = 'pending')
               AND (SELECT count(DISTINCT pr_number) FROM triage_attempts WHERE repo = ?1 AND pr_state = 'open') < ?7
               AND (SELECT count(*) FROM triage_attempts WHERE repo = ?1 AND run_id = ?4) < ?8
             RETURNING id, n`,
          )
          .bind(
            r,
            key.extensionId,
            key.fingerprint,
            ctx.runId,
            now,
            repo.maxAttempts,
            repo.maxOpenPrs,
            repo.maxPrsPerRun,
          ),
        this.#db
          .prepare(
            `INSERT INTO triage_attempt_state
               (repo, extension_id, fingerprint, attempts, last_result, last_attempt_at, backoff_until, updated_at)
             SELECT repo, extension_id, fingerprint, n, 'pending', started_at,
                    started_at + ?6 * (1 << (n - 1)), started_at
             FROM triage_attempts
             WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND run_id = ?4 AND started_at = ?5
             ORDER BY n DESC LIMIT 1
             ON CONFLICT (repo, extension_id, fingerprint) DO UPDATE SET
               attempts = excluded.attempts, last_result = 'pending',
               last_attempt_at = excluded.last_attempt_at, backoff_until = excluded.backoff_until,
               updated_at = excluded.updated_at`,
          )
          .bind(r, key.extensionId, key.fingerprint, ctx.runId, now, BACKOFF_BASE_MS),
      ]);
      inserted = attempt?.results[0];
    } catch (err) {
      // UNIQUE (…, n): another consumer started the same attempt a moment earlier.
      if (!(err instanceof Error && /UNIQUE/i.test(err.message))) throw err;
    }
    const row = z.object({ id: z.number(), n: z.number() }).safeParse(inserted);
    if (!row.success) {
      // A gate closed between evaluate and begin (a concurrent consumer): say which.
      const post = await this.evaluate(key, repo, ctx);
      const decision = post.allowed
        ? { allowed: false, reason: 'attempt_pending' as const, detail: post.detail }
        : post;
      await this.recordDecision(key, 'attempt', decision, ctx.runId);
      return { decision, attemptId: null, n: null };
    }
    const decision: AttemptDecision = {
      allowed: true,
      reason: 'eligible',
      detail: {
        ...pre.detail,
        attempt: row.data.n,
        backoffUntil: iso(now + backoffMs(row.data.n)),
      },
    };
    await this.recordDecision(key, 'attempt', decision, ctx.runId);
    return { decision, attemptId: row.data.id, n: row.data.n };
  }

  async finish(attemptId: number, result: Exclude<AttemptResult, 'pending'>): Promise<void> {
    const now = this.#now();
    await this.#db.batch([
      this.#db
        .prepare(`UPDATE triage_attempts SET result = ?2, finished_at = ?3 WHERE id = ?1`)
        .bind(attemptId, result, now),
      this.#db
        .prepare(
          `UPDATE triage_attempt_state SET last_result = ?2, updated_at = ?3
           WHERE (repo, extension_id, fingerprint) =
                 (SELECT repo, extension_id, fingerprint FROM triage_attempts WHERE id = ?1)`,
        )
        .bind(attemptId, result, now),
    ]);
  }

  /**
   * Links an attempt to its branch, head SHA and pull request (part 2 fills these in). A PR
   * state a webhook already recorded as closed or merged is kept: the writer's view is older
   * than the webhook's (issue 11, item 4).
   */
  async attachPullRequest(
    attemptId: number,
    pr: {
      branch: string;
      headSha: string;
      prNumber: number | null;
      prState: 'none' | 'open' | 'closed' | 'merged';
    },
  ): Promise<void> {
    await this.#db
      .prepare(
        `UPDATE triage_attempts SET branch = ?2, head_sha = ?3, pr_number = ?4,
           pr_state = CASE WHEN pr_state IN ('closed', 'merged') AND pr_number IS ?4
                           THEN pr_state ELSE ?5 END
         WHERE id = ?1`,
      )
      .bind(attemptId, pr.branch, pr.headSha, pr.prNumber, pr.prState)
      .run();
  }

  async byId(attemptId: number): Promise<AttemptRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT id, repo, extension_id, fingerprint, n, head_sha, pr_number FROM triage_attempts
         WHERE id = ?1`,
      )
      .bind(attemptId)
      .first();
    return row === null ? null : AttemptRowSchema.parse(row);
  }

  /** The attempt whose current head SHA this is (webhook CI events are matched this way). */
  async findByHeadSha(repo: string, headSha: string): Promise<AttemptRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT id, repo, extension_id, fingerprint, n, head_sha, pr_number FROM triage_attempts
         WHERE repo = ?1 AND head_sha = ?2 ORDER BY id DESC LIMIT 1`,
      )
      .bind(repoKey(repo), headSha)
      .first();
    return row === null ? null : AttemptRowSchema.parse(row);
  }

  async findByPullRequest(repo: string, prNumber: number): Promise<AttemptRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT id, repo, extension_id, fingerprint, n, head_sha, pr_number FROM triage_attempts
         WHERE repo = ?1 AND pr_number = ?2 ORDER BY id DESC LIMIT 1`,
      )
      .bind(repoKey(repo), prNumber)
      .first();
    return row === null ? null : AttemptRowSchema.parse(row);
  }

  async setPullRequestState(
    attemptId: number,
    prState: 'open' | 'closed' | 'merged',
  ): Promise<void> {
    await this.#db
      .prepare('UPDATE triage_attempts SET pr_state = ?2 WHERE id = ?1')
      .bind(attemptId, prState)
      .run();
  }

  /**
   * `/homeostat retry` from a maintainer: lifts the cooldown and, when the fingerprint used up
   * its attempts, grants exactly one more.
   */
  async grantRetry(key: IssueKey, repo: RepositoryConfig): Promise<AttemptDecision> {
    const now = this.#now();
    const s = await this.state(key);
    const extra = s.attempts >= repo.maxAttempts + s.extraAttempts ? 1 : 0;
    await this.#db
      .prepare(
        `INSERT INTO triage_attempt_state (repo, extension_id, fingerprint, extra_attempts, backoff_until, updated_at)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5)
         ON CONFLICT (repo, extension_id, fingerprint) DO UPDATE SET
           extra_attempts = extra_attempts + ?4, backoff_until = NULL, updated_at = ?5`,
      )
      .bind(repoKey(key.repo), key.extensionId, key.fingerprint, extra, now)
      .run();
    const decision: AttemptDecision = {
      allowed: true,
      reason: 'retry_granted',
      detail: {
        attempts: s.attempts,
        extraAttemptGranted: extra === 1,
        previousBackoffUntil: iso(s.backoffUntil),
      },
    };
    await this.recordDecision(key, 'retry', decision, null);
    return decision;
  }

  async recordDecision(
    key: IssueKey,
    action: string,
    decision: AttemptDecision,
    runId: string | null,
  ): Promise<void> {
    await this.#db
      .prepare(
        `INSERT INTO triage_decisions (at, run_id, repo, extension_id, fingerprint, action, allowed, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
      )
      .bind(
        this.#now(),
        runId,
        repoKey(key.repo),
        key.extensionId,
        key.fingerprint,
        action,
        decision.allowed ? 1 : 0,
        decision.reason,
        JSON.stringify(decision.detail),
      )
      .run();
  }

  /** The JSON state block rendered into the issue. */
  view(state: AttemptState, repo: RepositoryConfig, decision: AttemptDecision): AttemptStateView {
    return {
      attempts: state.attempts,
      maxAttempts: repo.maxAttempts + state.extraAttempts,
      lastResult: state.lastResult,
      backoffUntil: iso(state.backoffUntil),
      decision: decision.reason,
    };
  }
}
