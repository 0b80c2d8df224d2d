import { z } from 'zod';
import type { DecisionReason } from './attempt-store.ts';
import type { IssueOutcome } from './issue/fingerprint-issue.ts';
import { repoKey } from './issue/issue-store.ts';

/**
 * Run records (issue 5, item 8; seed 003 "JSONL Artifacts"): per consumer batch and repository,
 * how many messages were processed, issues created, updated and reopened, cooldowns, opt-outs,
 * human-review classifications, errors by code, and the latency, written to `triage_runs` and
 * exported as JSONL by `GET /admin/runs.jsonl`.
 */

export interface MessageOutcome {
  repo: string;
  fingerprint: string;
  issue?: IssueOutcome;
  decision?: DecisionReason;
  humanReview?: boolean;
  error?: string;
}

interface RepoTally {
  messages: number;
  created: number;
  updated: number;
  reopened: number;
  cooldowns: number;
  optOuts: number;
  humanReview: number;
  errors: number;
  fingerprints: Set<string>;
  errorCodes: Record<string, number>;
}

export class RunRecorder {
  readonly runId: string;
  readonly #mode: string;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #repos = new Map<string, RepoTally>();

  constructor(runId: string, mode: string, now: () => number) {
    this.runId = runId;
    this.#mode = mode;
    this.#now = now;
    this.#startedAt = now();
  }

  add(o: MessageOutcome): void {
    const key = repoKey(o.repo);
    const t = this.#repos.get(key) ?? {
      messages: 0,
      created: 0,
      updated: 0,
      reopened: 0,
      cooldowns: 0,
      optOuts: 0,
      humanReview: 0,
      errors: 0,
      fingerprints: new Set<string>(),
      errorCodes: {},
    };
    t.messages++;
    if (o.fingerprint !== '') t.fingerprints.add(o.fingerprint);
    if (o.issue === 'created' || o.issue === 'adopted') t.created++;
    if (o.issue === 'updated') t.updated++;
    if (o.issue === 'reopened') t.reopened++;
    if (o.issue === 'opted_out' || o.decision === 'opted_out') t.optOuts++;
    if (o.decision === 'cooldown' || o.decision === 'max_attempts') t.cooldowns++;
    if (o.humanReview === true) t.humanReview++;
    if (o.error !== undefined) {
      t.errors++;
      t.errorCodes[o.error] = (t.errorCodes[o.error] ?? 0) + 1;
    }
    this.#repos.set(key, t);
  }

  async flush(db: D1Database): Promise<void> {
    if (this.#repos.size === 0) return;
    const finishedAt = this.#now();
    await db.batch(
      [...this.#repos].map(([repo, t]) =>
        db
          .prepare(
            `INSERT INTO triage_runs (run_id, repo, mode, started_at, finished_at, latency_ms,
               messages, issues_created, issues_updated, issues_reopened, cooldowns, opt_outs,
               human_review, errors, fingerprints, error_codes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (run_id, repo) DO NOTHING`,
          )
          .bind(
            this.runId,
            repo,
            this.#mode,
            this.#startedAt,
            finishedAt,
            finishedAt - this.#startedAt,
            t.messages,
            t.created,
            t.updated,
            t.reopened,
            t.cooldowns,
            t.optOuts,
            t.humanReview,
            t.errors,
            JSON.stringify([...t.fingerprints]),
            JSON.stringify(t.errorCodes),
          ),
      ),
    );
  }
}

const RunRowSchema = z.object({
  run_id: z.string(),
  repo: z.string(),
  mode: z.string(),
  started_at: z.number(),
  finished_at: z.number(),
  latency_ms: z.number(),
  messages: z.number(),
  issues_created: z.number(),
  issues_updated: z.number(),
  issues_reopened: z.number(),
  cooldowns: z.number(),
  opt_outs: z.number(),
  human_review: z.number(),
  errors: z.number(),
  fingerprints: z.string(),
  error_codes: z.string(),
});

/** One JSONL line: the seeds' RunMetrics names where they exist. */
export interface RunRecord {
  timestamp: string;
  runId: string;
  repo: string;
  mode: string;
  messages: number;
  fingerprintsProcessed: string[];
  issuesCreated: number;
  issuesUpdated: number;
  issuesReopened: number;
  cooldowns: number;
  optOuts: number;
  humanReview: number;
  errors: number;
  errorCodes: Record<string, number>;
  latency: number;
}

export async function listRuns(
  db: D1Database,
  options: { since?: number; limit?: number } = {},
): Promise<RunRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM triage_runs WHERE started_at >= ?1 ORDER BY started_at, run_id, repo LIMIT ?2`,
    )
    .bind(options.since ?? 0, Math.min(options.limit ?? 1000, 10_000))
    .all();
  return results.map((raw) => {
    const r = RunRowSchema.parse(raw);
    return {
      timestamp: new Date(r.started_at).toISOString(),
      runId: r.run_id,
      repo: r.repo,
      mode: r.mode,
      messages: r.messages,
      fingerprintsProcessed: z.array(z.string()).parse(JSON.parse(r.fingerprints)),
      issuesCreated: r.issues_created,
      issuesUpdated: r.issues_updated,
      issuesReopened: r.issues_reopened,
      cooldowns: r.cooldowns,
      optOuts: r.opt_outs,
      humanReview: r.human_review,
      errors: r.errors,
      errorCodes: z.record(z.string(), z.number()).parse(JSON.parse(r.error_codes)),
      latency: r.latency_ms,
    };
  });
}
