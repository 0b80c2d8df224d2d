import { z } from 'zod';
import { type IssueKey, repoKey } from '../../issue/issue-store.ts';

/**
 * `fix_pull_requests` (D1-schema.sql): each fingerprint's one fix branch and pull request, per
 * mode, and how far the attempt being written got. The PR writer records each step before or
 * right after the GitHub write it guards, so a redelivered queue message resumes: a recorded
 * commit is reused, a recorded head proves the branch is still Homeostat's, a recorded PR is
 * updated instead of opened again, and `written_attempt` = n means attempt n needs nothing more.
 *
 * The PR slot is claimed atomically, with both caps inside the INSERT (like the attempt store's
 * gate): two consumers cannot both take the last of `maxOpenPrs` or `maxPrsPerRun`.
 *
 * A writer's steps after it began its attempt are compare-and-set on a `WriteLease` (issue 11,
 * item 4): each lands only while the row still names the writer's attempt, no hands-off, and the
 * PR state the writer last saw. A GitHub answer that comes back after a newer decision (a newer
 * attempt began, the PR was closed or merged, a human took the branch) changes nothing.
 */

export type FixPrMode = 'live' | 'dry-run';
export type FixPrState = 'claimed' | 'open' | 'closed' | 'merged';
export type HandsOff = 'human_pushed' | 'closed_by_human';

const RowSchema = z.object({
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
  mode: z.enum(['live', 'dry-run']),
  branch: z.string(),
  run_id: z.string(),
  attempt_n: z.number().nullable(),
  attempt_id: z.number().nullable(),
  base_sha: z.string().nullable(),
  tree_sha: z.string().nullable(),
  commit_sha: z.string().nullable(),
  commit_attempt: z.number().nullable(),
  head_sha: z.string().nullable(),
  pr_number: z.number().nullable(),
  pr_key: z.string().nullable(),
  pr_url: z.string().nullable(),
  pr_state: z.enum(['claimed', 'open', 'closed', 'merged']),
  hands_off: z.enum(['human_pushed', 'closed_by_human']).nullable(),
  written_attempt: z.number().nullable(),
});
export type FixPrRow = z.infer<typeof RowSchema>;

const CountsSchema = z.object({
  open: z.number(),
  in_run: z.number(),
  own: z.enum(['claimed', 'open', 'closed', 'merged']).nullable(),
});

export type ClaimResult =
  | { claimed: true }
  | { claimed: false; cap: 'maxOpenPrs' | 'maxPrsPerRun'; count: number; limit: number };

/** What a writer saw when it began its attempt: its later writes need the row to still say so. */
export interface WriteLease {
  attempt: number;
  attemptId: number | null;
  prState: FixPrState;
}

/** True when the row holds a PR slot: a PR open, or about to be opened. */
export function holdsSlot(row: FixPrRow | null): boolean {
  return row !== null && (row.pr_state === 'claimed' || row.pr_state === 'open');
}

export class FixPullRequestStore {
  readonly #db: D1Database;
  readonly #now: () => number;

  constructor(db: D1Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  #where(key: IssueKey, mode: FixPrMode): [string, string, string, FixPrMode] {
    return [repoKey(key.repo), key.extensionId, key.fingerprint, mode];
  }

  async get(key: IssueKey, mode: FixPrMode): Promise<FixPrRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT * FROM fix_pull_requests
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4`,
      )
      .bind(...this.#where(key, mode))
      .first();
    return row === null ? null : RowSchema.parse(row);
  }

  async getByPullNumber(repo: string, prNumber: number): Promise<FixPrRow | null> {
    const row = await this.#db
      .prepare(
        `SELECT * FROM fix_pull_requests WHERE repo = ?1 AND mode = 'live' AND pr_number = ?2`,
      )
      .bind(repoKey(repo), prNumber)
      .first();
    return row === null ? null : RowSchema.parse(row);
  }

  /**
   * Takes a PR slot for the fingerprint if both caps allow it: open (or claimed) Homeostat PRs in
   * the repository below `maxOpenPrs`, PR slots claimed in this run below `maxPrsPerRun`. A row
   * whose last PR was merged or closed by Homeostat starts a new cycle; the fingerprint's own
   * row never counts against itself.
   */
  async claimSlot(
    key: IssueKey,
    mode: FixPrMode,
    slot: { branch: string; runId: string; maxOpenPrs: number; maxPrsPerRun: number },
  ): Promise<ClaimResult> {
    const now = this.#now();
    const where = this.#where(key, mode);
    const claimed = await this.#db
      .prepare(
        `INSERT INTO fix_pull_requests
           (repo, extension_id, fingerprint, mode, branch, run_id, pr_state, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'claimed', ?7, ?7
         WHERE (SELECT count(*) FROM fix_pull_requests
                WHERE repo = ?1 AND mode = ?4 AND pr_state IN ('claimed', 'open')
                  AND NOT (extension_id = ?2 AND fingerprint = ?3)) < ?8
           AND (SELECT count(*) FROM fix_pull_requests
                WHERE repo = ?1 AND mode = ?4 AND run_id = ?6
                  AND NOT (extension_id = ?2 AND fingerprint = ?3)) < ?9
         ON CONFLICT (repo, extension_id, fingerprint, mode) DO UPDATE SET
           pr_state = 'claimed', run_id = excluded.run_id, branch = excluded.branch,
           pr_number = NULL, pr_key = NULL, pr_url = NULL,
           written_attempt = NULL, updated_at = excluded.updated_at
         WHERE fix_pull_requests.pr_state IN ('closed', 'merged')
           AND fix_pull_requests.hands_off IS NULL
         RETURNING pr_state`,
      )
      .bind(...where, slot.branch, slot.runId, now, slot.maxOpenPrs, slot.maxPrsPerRun)
      .first();
    if (claimed !== null) return { claimed: true };
    const counts = CountsSchema.parse(
      await this.#db
        .prepare(
          `SELECT
             (SELECT count(*) FROM fix_pull_requests
              WHERE repo = ?1 AND mode = ?4 AND pr_state IN ('claimed', 'open')
                AND NOT (extension_id = ?2 AND fingerprint = ?3)) AS open,
             (SELECT count(*) FROM fix_pull_requests
              WHERE repo = ?1 AND mode = ?4 AND run_id = ?5
                AND NOT (extension_id = ?2 AND fingerprint = ?3)) AS in_run,
             (SELECT pr_state FROM fix_pull_requests
              WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4) AS own`,
        )
        .bind(...where, slot.runId)
        .first(),
    );
    // A concurrent delivery for the same fingerprint claimed it a moment earlier: one slot, ours.
    if (counts.own === 'claimed' || counts.own === 'open') return { claimed: true };
    if (counts.open >= slot.maxOpenPrs) {
      return { claimed: false, cap: 'maxOpenPrs', count: counts.open, limit: slot.maxOpenPrs };
    }
    return { claimed: false, cap: 'maxPrsPerRun', count: counts.in_run, limit: slot.maxPrsPerRun };
  }

  async #update(key: IssueKey, mode: FixPrMode, set: string, ...values: unknown[]): Promise<void> {
    // `set` is one of this class's literal SQL fragments; values are bound (?6 onwards).
    await this.#db
      .prepare(
        `UPDATE fix_pull_requests SET ${set}, updated_at = ?5
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4`,
      )
      .bind(...this.#where(key, mode), this.#now(), ...values)
      .run();
  }

  /** A lease step: applied only while the row matches `lease`; false when it no longer does. */
  async #leased(
    key: IssueKey,
    mode: FixPrMode,
    lease: WriteLease,
    set: string,
    ...values: unknown[]
  ): Promise<boolean> {
    const g = 6 + values.length; // the lease's parameters follow the step's own (?6 onwards)
    const res = await this.#db
      .prepare(
        `UPDATE fix_pull_requests SET ${set}, updated_at = ?5
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4
           AND attempt_n = ?${g} AND attempt_id IS ?${g + 1} AND hands_off IS NULL
           AND pr_state = ?${g + 2}`,
      )
      .bind(
        ...this.#where(key, mode),
        this.#now(),
        ...values,
        lease.attempt,
        lease.attemptId,
        lease.prState,
      )
      .run();
    return res.meta.changes === 1;
  }

  /** Whether the row still matches `lease`: asked right before a GitHub write no record guards. */
  async holds(key: IssueKey, mode: FixPrMode, lease: WriteLease): Promise<boolean> {
    const row = await this.#db
      .prepare(
        `SELECT 1 AS ok FROM fix_pull_requests
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4
           AND attempt_n = ?5 AND attempt_id IS ?6 AND hands_off IS NULL AND pr_state = ?7`,
      )
      .bind(...this.#where(key, mode), lease.attempt, lease.attemptId, lease.prState)
      .first();
    return row !== null;
  }

  /**
   * The attempt now being written (its triage_attempts row, for CI matching). Never moves the
   * row back to an older attempt: a writer that began late finds a newer one there and stops.
   */
  async beginAttempt(
    key: IssueKey,
    mode: FixPrMode,
    a: { attempt: number; attemptId: number | null },
  ): Promise<boolean> {
    const res = await this.#db
      .prepare(
        `UPDATE fix_pull_requests SET attempt_n = ?6, attempt_id = ?7, updated_at = ?5
         WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND mode = ?4
           AND hands_off IS NULL AND (attempt_n IS NULL OR attempt_n <= ?6)`,
      )
      .bind(...this.#where(key, mode), this.#now(), a.attempt, a.attemptId)
      .run();
    return res.meta.changes === 1;
  }

  /** Written before the branch moves to the commit: that is what makes the head recognisable. */
  async recordCommit(
    key: IssueKey,
    mode: FixPrMode,
    c: { attempt: number; baseSha: string; treeSha: string; commitSha: string },
    lease: WriteLease,
  ): Promise<boolean> {
    return this.#leased(
      key,
      mode,
      lease,
      'commit_sha = ?6, tree_sha = ?7, commit_attempt = ?8, base_sha = ?9',
      c.commitSha,
      c.treeSha,
      c.attempt,
      c.baseSha,
    );
  }

  async recordHead(
    key: IssueKey,
    mode: FixPrMode,
    headSha: string,
    lease: WriteLease,
  ): Promise<boolean> {
    return this.#leased(key, mode, lease, 'head_sha = ?6', headSha);
  }

  async recordPull(
    key: IssueKey,
    mode: FixPrMode,
    pr: { number: number | null; key: string | null; url: string | null },
    lease: WriteLease,
  ): Promise<boolean> {
    return this.#leased(
      key,
      mode,
      lease,
      `pr_number = ?6, pr_key = ?7, pr_url = ?8, pr_state = 'open'`,
      pr.number,
      pr.key,
      pr.url,
    );
  }

  async recordWritten(
    key: IssueKey,
    mode: FixPrMode,
    attempt: number,
    lease: WriteLease,
  ): Promise<boolean> {
    return this.#leased(key, mode, lease, 'written_attempt = ?6', attempt);
  }

  /** Renovate's rule: after this, Homeostat never writes to the branch or PR again. */
  async setHandsOff(key: IssueKey, mode: FixPrMode, reason: HandsOff): Promise<void> {
    await this.#update(
      key,
      mode,
      `hands_off = ?6, pr_state = CASE WHEN ?6 = 'closed_by_human' THEN 'closed' ELSE pr_state END`,
      reason,
    );
  }

  /** The PR's state as GitHub reports it (webhooks, a merge): by PR number, live mode only. */
  async setPullState(
    repo: string,
    prNumber: number,
    state: 'open' | 'closed' | 'merged',
  ): Promise<void> {
    await this.#db
      .prepare(
        `UPDATE fix_pull_requests SET pr_state = ?3, updated_at = ?4
         WHERE repo = ?1 AND mode = 'live' AND pr_number = ?2`,
      )
      .bind(repoKey(repo), prNumber, state, this.#now())
      .run();
  }
}
