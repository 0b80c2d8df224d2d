import { z } from 'zod';
import { pushResolution } from './resolution-push.ts';

/**
 * `triage_issues`: which GitHub issue belongs to which fingerprint, and the claim that makes
 * creating it safe (issue 5, item 2: "two messages for one fingerprint → one issue").
 *
 * Why a claim: queue delivery is at-least-once and a batch's messages, or two batches, may run
 * at the same time, while "look on GitHub, then create" is not atomic. So before creating, a
 * consumer INSERTs the (repo, extension, fingerprint) row with a random token — `INSERT … ON
 * CONFLICT DO NOTHING RETURNING` — and only the inserter may create. A second consumer sees the
 * row: if the issue is recorded it updates it; if a fresh claim is still in flight it backs off
 * (`issue_claim_busy`, the message is retried shortly).
 *
 * Why a lease: a consumer can die between creating on GitHub and recording the number (crash,
 * timeout, a 5xx whose outcome is unknown). Its claim then expires after `leaseMs` and the next
 * consumer takes it over with a compare-and-set on the old token. The new owner does not create
 * blindly: it first lists the repository's issues labelled `fingerprint:<first 8>` and adopts one
 * whose metadata block names this fingerprint (fingerprint-issue.ts). A consumer that fails in a
 * way it can see releases its claim at once instead of waiting out the lease.
 */

export interface IssueKey {
  repo: string;
  extensionId: string;
  fingerprint: string;
}

const IssueRowSchema = z.object({
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
  state: z.enum(['creating', 'open', 'closed']),
  claim_token: z.string().nullable(),
  claimed_at: z.number(),
  issue_number: z.number().nullable(),
  outbox_key: z.string().nullable(),
  class: z.string().nullable(),
  opted_out: z.number(),
  opted_out_reason: z.string().nullable(),
  synced_at: z.number().nullable(),
  synced_events: z.number().nullable(),
  regression_at: z.number().nullable(),
});
export type IssueRow = z.infer<typeof IssueRowSchema>;

export type Mode = 'live' | 'dry-run';

export function repoKey(slug: string): string {
  return slug.toLowerCase();
}

/** Whether the row already points at an issue in this mode (GitHub number, or outbox entry). */
export function hasIssue(row: IssueRow, mode: Mode): boolean {
  return mode === 'live' ? row.issue_number !== null : row.outbox_key !== null;
}

export async function getIssueRow(db: D1Database, key: IssueKey): Promise<IssueRow | null> {
  const row = await db
    .prepare(
      'SELECT * FROM triage_issues WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3',
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint)
    .first();
  return row === null ? null : IssueRowSchema.parse(row);
}

export async function getIssueRowByNumber(
  db: D1Database,
  repo: string,
  issueNumber: number,
): Promise<IssueRow | null> {
  const row = await db
    .prepare('SELECT * FROM triage_issues WHERE repo = ?1 AND issue_number = ?2')
    .bind(repoKey(repo), issueNumber)
    .first();
  return row === null ? null : IssueRowSchema.parse(row);
}

export type ClaimResult =
  | { kind: 'claimed'; token: string }
  | { kind: 'exists'; row: IssueRow }
  | { kind: 'busy'; retryAfterMs: number };

export async function claimIssue(
  db: D1Database,
  key: IssueKey,
  mode: Mode,
  now: number,
  leaseMs: number,
): Promise<ClaimResult> {
  const token = crypto.randomUUID();
  const inserted = await db
    .prepare(
      `INSERT INTO triage_issues
         (repo, extension_id, fingerprint, state, claim_token, claimed_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, 'creating', ?4, ?5, ?5, ?5)
       ON CONFLICT (repo, extension_id, fingerprint) DO NOTHING
       RETURNING claim_token`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, token, now)
    .first();
  if (inserted !== null) return { kind: 'claimed', token };

  const row = await getIssueRow(db, key);
  if (row === null) return { kind: 'busy', retryAfterMs: 1_000 }; // deleted in between: rare
  if (hasIssue(row, mode)) return { kind: 'exists', row };

  // Take over an expired (or released) claim; the token comparison makes it a compare-and-set.
  const column = mode === 'live' ? 'issue_number' : 'outbox_key';
  const taken = await db
    .prepare(
      `UPDATE triage_issues SET claim_token = ?4, claimed_at = ?5, updated_at = ?5
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND ${column} IS NULL
         AND claimed_at <= ?6 AND claim_token IS ?7
       RETURNING claim_token`,
    )
    .bind(
      repoKey(key.repo),
      key.extensionId,
      key.fingerprint,
      token,
      now,
      now - leaseMs,
      row.claim_token,
    )
    .first();
  if (taken !== null) return { kind: 'claimed', token };
  return { kind: 'busy', retryAfterMs: Math.max(1_000, row.claimed_at + leaseMs - now) };
}

/** Records the issue the claim owner created or adopted; false if the claim was lost. */
export async function recordIssue(
  db: D1Database,
  key: IssueKey,
  token: string,
  issue: { issueNumber: number } | { outboxKey: string },
  fields: { cls: string; events: number; state: 'open' | 'closed' },
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE triage_issues SET
         issue_number = COALESCE(?5, issue_number), outbox_key = COALESCE(?6, outbox_key),
         state = ?7, class = ?8, synced_at = ?9, synced_events = ?10,
         claim_token = NULL, claimed_at = 0, updated_at = ?9
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND claim_token = ?4`,
    )
    .bind(
      repoKey(key.repo),
      key.extensionId,
      key.fingerprint,
      token,
      'issueNumber' in issue ? issue.issueNumber : null,
      'outboxKey' in issue ? issue.outboxKey : null,
      fields.state,
      fields.cls,
      now,
      fields.events,
    )
    .run();
  return result.meta.changes === 1;
}

/** Gives a claim up at once (the creator saw its own failure), so a retry need not wait. */
export async function releaseClaim(db: D1Database, key: IssueKey, token: string): Promise<void> {
  await db
    .prepare(
      `UPDATE triage_issues SET claim_token = NULL, claimed_at = 0
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND claim_token = ?4`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, token)
    .run();
}

export async function markSynced(
  db: D1Database,
  key: IssueKey,
  fields: { cls: string; events: number },
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE triage_issues SET class = ?4, synced_events = ?5, synced_at = ?6, updated_at = ?6
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, fields.cls, fields.events, now)
    .run();
}

export async function setIssueState(
  db: D1Database,
  key: IssueKey,
  state: 'open' | 'closed',
  now: number,
  regressionAt?: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE triage_issues SET state = ?4, regression_at = COALESCE(?5, regression_at),
         updated_at = ?6
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, state, regressionAt ?? null, now)
    .run();
}

/** The do-not-fix label or `/homeostat stop`: stops all automated work on the fingerprint. */
export async function setOptedOut(
  db: D1Database,
  key: IssueKey,
  optedOut: boolean,
  reason: string | null,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE triage_issues SET opted_out = ?4, opted_out_reason = ?5, updated_at = ?6
       WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, optedOut ? 1 : 0, reason, now)
    .run();
}

/**
 * Tells ingest the problem is resolved (D1-schema.sql, `fingerprint_resolutions`): the row is the
 * durable record, and the push makes its Fingerprint Durable Object read it now; the object
 * announces a regression if the error comes back.
 */
export async function upsertResolution(
  db: D1Database,
  key: IssueKey,
  source: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO fingerprint_resolutions (extension_id, fingerprint, resolved_at, fixed_in_version, source)
       VALUES (?1, ?2, ?3, NULL, ?4)
       ON CONFLICT (extension_id, fingerprint) DO UPDATE SET
         resolved_at = excluded.resolved_at, fixed_in_version = NULL, source = excluded.source`,
    )
    .bind(key.extensionId, key.fingerprint, now, source)
    .run();
  await pushResolution({ extensionId: key.extensionId, fingerprint: key.fingerprint });
}
