import type { RepositoryConfig } from '@homeostat/shared';
import { z } from 'zod';
import { TriageError } from '../errors.ts';
import type { GitHubGateway, IssueRef } from '../github/github-gateway.ts';
import { type DigestEntry, digestEntries } from './issue-cap.ts';
import { repoKey } from './issue-store.ts';
import { codeSpan, plainLine, safeJson, tableCode } from './markdown.ts';

/**
 * The one digest issue per repository and UTC day that lists the new problems over the day's
 * cap (issue 11, item 2; issue-cap.ts takes the slots). Created once with the claim-then-look
 * discipline of fingerprint issues (issue-store.ts): a claim row in `triage_digests`, a lease,
 * and, live, a look for an issue carrying the day's label and marker before creating. Its body
 * is rendered from D1 (the day's digest slots), never appended to, so a replayed message cannot
 * list a fingerprint twice; it is rewritten when the count grew. Past `LIST_MAX` entries only the
 * "and N more" count changes, at most once per `issueUpdateMinutes`, which bounds the GitHub
 * writes a flood can cause to LIST_MAX + one per update interval per repository and day.
 */

export interface DigestDeps {
  db: D1Database;
  github: GitHubGateway;
  now: () => number;
  leaseMs?: number;
}

export const LIST_MAX = 50;
const TITLE_MAX = 120;
const MARKER = 'homeostat:digest';
const DEFAULT_LEASE_MS = 120_000;
const MAX_REWRITES = 3;

const DigestRowSchema = z.object({
  claim_token: z.string().nullable(),
  claimed_at: z.number(),
  issue_number: z.number().nullable(),
  outbox_key: z.string().nullable(),
  synced_count: z.number(),
  synced_at: z.number().nullable(),
});
type DigestRow = z.infer<typeof DigestRowSchema>;

export function digestLabel(day: string): string {
  return `digest:${day}`;
}

function markerFor(day: string): string {
  return `<!-- ${MARKER} ${safeJson({ day })} -->`;
}

function refOf(row: DigestRow, mode: 'live' | 'dry-run'): IssueRef | null {
  if (mode === 'live') {
    return row.issue_number === null ? null : { kind: 'github', number: row.issue_number };
  }
  return row.outbox_key === null ? null : { kind: 'pending', key: row.outbox_key };
}

async function getRow(db: D1Database, repo: string, day: string): Promise<DigestRow | null> {
  const row = await db
    .prepare('SELECT * FROM triage_digests WHERE repo = ?1 AND day = ?2')
    .bind(repoKey(repo), day)
    .first();
  return row === null ? null : DigestRowSchema.parse(row);
}

export function renderDigest(
  repo: RepositoryConfig,
  day: string,
  listed: { entries: DigestEntry[]; total: number },
): { title: string; body: string } {
  const rows = listed.entries.map(
    (e) =>
      `| ${tableCode(e.fingerprint, 100)} | ${tableCode(e.extension_id, 40)} | ${tableCode(e.title ?? '(unknown)', TITLE_MAX)} |`,
  );
  const more = listed.total - listed.entries.length;
  const body = [
    `More new problems were reported on ${codeSpan(day, 10)} (UTC) than this repository's limit of ${repo.limits.newIssuesPerDay} new issues a day (${codeSpan('limits.newIssuesPerDay', 30)}). They are listed here instead of being filed one by one; a problem that keeps occurring gets its own issue on a later day, within the limit.`,
    '',
    '| Fingerprint | Extension | Title |',
    '|---|---|---|',
    ...rows,
    ...(more > 0 ? ['', `_and ${more} more._`] : []),
    '',
    markerFor(day),
  ].join('\n');
  return {
    title: plainLine(
      `[homeostat] ${listed.total} new problems over the daily limit on ${day}`,
      200,
    ),
    body,
  };
}

async function claimOrFind(
  deps: DigestDeps,
  repo: RepositoryConfig,
  day: string,
): Promise<{ kind: 'ready'; ref: IssueRef; row: DigestRow } | { kind: 'claimed'; token: string }> {
  const mode = deps.github.mode;
  const existing = await getRow(deps.db, repo.slug, day);
  const ready = existing === null ? null : refOf(existing, mode);
  if (existing !== null && ready !== null) return { kind: 'ready', ref: ready, row: existing };
  const now = deps.now();
  const lease = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const token = crypto.randomUUID();
  const claimed = await deps.db
    .prepare(
      `INSERT INTO triage_digests (repo, day, claim_token, claimed_at, created_at)
       VALUES (?1, ?2, ?3, ?4, ?4)
       ON CONFLICT (repo, day) DO UPDATE SET claim_token = excluded.claim_token,
         claimed_at = excluded.claimed_at
       WHERE ${mode === 'live' ? 'issue_number' : 'outbox_key'} IS NULL AND claimed_at <= ?5
       RETURNING claim_token`,
    )
    .bind(repoKey(repo.slug), day, token, now, now - lease)
    .first();
  if (claimed !== null) return { kind: 'claimed', token };
  const row = await getRow(deps.db, repo.slug, day);
  const ref = row === null ? null : refOf(row, mode);
  if (row !== null && ref !== null) return { kind: 'ready', ref, row };
  throw new TriageError('issue_claim_busy', 'the digest issue is being created', {
    retryAfterSeconds: Math.ceil(lease / 1000),
  });
}

async function record(
  deps: DigestDeps,
  repo: string,
  day: string,
  token: string,
  ref: IssueRef,
  syncedCount: number,
): Promise<void> {
  await deps.db
    .prepare(
      `UPDATE triage_digests SET issue_number = COALESCE(?4, issue_number),
         outbox_key = COALESCE(?5, outbox_key), synced_count = ?6, synced_at = ?7,
         claim_token = NULL, claimed_at = 0
       WHERE repo = ?1 AND day = ?2 AND claim_token = ?3`,
    )
    .bind(
      repoKey(repo),
      day,
      token,
      ref.kind === 'github' ? ref.number : null,
      ref.kind === 'pending' ? ref.key : null,
      syncedCount,
      deps.now(),
    )
    .run();
}

/**
 * Makes the day's digest issue list every overflowed fingerprint recorded so far (the caller has
 * just taken a `digest` slot). Returns the digest issue.
 */
export async function syncDigest(
  deps: DigestDeps,
  repo: RepositoryConfig,
  day: string,
): Promise<IssueRef> {
  const found = await claimOrFind(deps, repo, day);
  const labels = [repo.labels.base, digestLabel(day)];
  const key = `digest:${repoKey(repo.slug)}:${day}`;
  if (found.kind === 'claimed') {
    try {
      if (deps.github.mode === 'live') {
        const marker = markerFor(day);
        const earlier = (await deps.github.findIssues(repo.slug, labels)).find((i) =>
          (i.body ?? '').includes(marker),
        );
        if (earlier !== undefined) {
          // Adopted: recorded as synced to nothing, so the rewrite below brings it up to date.
          const ref: IssueRef = { kind: 'github', number: earlier.number };
          await record(deps, repo.slug, day, found.token, ref, 0);
          return rewrite(deps, repo, day, ref, 0);
        }
      }
      const listed = await digestEntries(deps.db, repo.slug, day, LIST_MAX);
      const ref = await deps.github.createIssue(
        repo.slug,
        { ...renderDigest(repo, day, listed), labels },
        key,
      );
      await record(deps, repo.slug, day, found.token, ref, listed.total);
      return rewrite(deps, repo, day, ref, listed.total);
    } catch (err) {
      await deps.db
        .prepare(
          `UPDATE triage_digests SET claim_token = NULL, claimed_at = 0
           WHERE repo = ?1 AND day = ?2 AND claim_token = ?3`,
        )
        .bind(repoKey(repo.slug), day, found.token)
        .run();
      throw err;
    }
  }
  const due =
    found.row.synced_at === null ||
    deps.now() - found.row.synced_at >= repo.issueUpdateMinutes * 60_000;
  return rewrite(deps, repo, day, found.ref, found.row.synced_count, due);
}

/** Rewrites the body while the day's count is ahead of what the issue shows. */
async function rewrite(
  deps: DigestDeps,
  repo: RepositoryConfig,
  day: string,
  ref: IssueRef,
  syncedCount: number,
  due = true,
): Promise<IssueRef> {
  let shown = syncedCount;
  for (let i = 0; i < MAX_REWRITES; i++) {
    const listed = await digestEntries(deps.db, repo.slug, day, LIST_MAX);
    if (listed.total <= shown) break;
    // Past the listed maximum only the count would change: that waits for the update interval.
    if (shown >= LIST_MAX && !due) break;
    await deps.github.updateIssue(
      repo.slug,
      ref,
      renderDigest(repo, day, listed),
      `digest-update:${repoKey(repo.slug)}:${day}:${listed.total}`,
    );
    await deps.db
      .prepare(
        `UPDATE triage_digests SET synced_count = ?3, synced_at = ?4
         WHERE repo = ?1 AND day = ?2 AND synced_count < ?3`,
      )
      .bind(repoKey(repo.slug), day, listed.total, deps.now())
      .run();
    shown = listed.total;
  }
  return ref;
}
