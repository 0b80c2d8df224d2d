import {
  type HomeostatConfig,
  type ReleaseCommentInput,
  ReleaseCommentInputSchema,
  type ReleaseCommentResult,
} from '@homeostat/shared';
import { z } from 'zod';
import { TriageError } from '../errors.ts';
import type { GitHubGateway, IssueRef } from '../github/github-gateway.ts';
import { repoKey } from '../issue/issue-store.ts';
import { codeSpan, escapeProse, plainLine, safeJson } from '../issue/markdown.ts';

/**
 * Release tracking issues for canary-monitor (the `TriageRpc.postReleaseComment` contract):
 * one issue per (repository, releaseKey), labelled `<base>` + `release`, found or created with
 * the same claim-then-look-before-create discipline as fingerprint issues (issue-store.ts), and
 * a comment per distinct (title, body), deduplicated by content hash so a retried RPC does not
 * comment twice. Title and body are treated as untrusted text (they may quote error messages).
 */

// The contract (input schema and answer) is shared with canary-monitor, its caller
// (packages/shared/src/rpc/triage-rpc.contract.ts).
export type { ReleaseCommentInput, ReleaseCommentResult };

export interface ReleaseDeps {
  db: D1Database;
  github: GitHubGateway;
  config: HomeostatConfig;
  now: () => number;
  leaseMs?: number;
}

const RELEASE_LABEL = 'release';
const MARKER = 'homeostat:release';

const ReleaseRowSchema = z.object({
  state: z.enum(['creating', 'open']),
  claim_token: z.string().nullable(),
  claimed_at: z.number(),
  issue_number: z.number().nullable(),
  outbox_key: z.string().nullable(),
});
type ReleaseRow = z.infer<typeof ReleaseRowSchema>;

async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function markerFor(releaseKey: string): string {
  return `<!-- ${MARKER} ${safeJson({ key: releaseKey })} -->`;
}

async function getRow(db: D1Database, repo: string, key: string): Promise<ReleaseRow | null> {
  const row = await db
    .prepare('SELECT * FROM triage_release_issues WHERE repo = ?1 AND release_key = ?2')
    .bind(repoKey(repo), key)
    .first();
  return row === null ? null : ReleaseRowSchema.parse(row);
}

function refOf(row: ReleaseRow, mode: 'live' | 'dry-run'): IssueRef | null {
  if (mode === 'live')
    return row.issue_number === null ? null : { kind: 'github', number: row.issue_number };
  return row.outbox_key === null ? null : { kind: 'pending', key: row.outbox_key };
}

async function findOrCreateIssue(
  deps: ReleaseDeps,
  input: ReleaseCommentInput,
  labels: string[],
): Promise<IssueRef> {
  const mode = deps.github.mode;
  const repo = repoKey(input.repo);
  const existing = await getRow(deps.db, input.repo, input.releaseKey);
  const ready = existing === null ? null : refOf(existing, mode);
  if (ready !== null) return ready;

  const now = deps.now();
  const lease = deps.leaseMs ?? 120_000;
  const token = crypto.randomUUID();
  const claimed = await deps.db
    .prepare(
      `INSERT INTO triage_release_issues (repo, release_key, state, claim_token, claimed_at, created_at)
       VALUES (?1, ?2, 'creating', ?3, ?4, ?4)
       ON CONFLICT (repo, release_key) DO UPDATE SET claim_token = excluded.claim_token,
         claimed_at = excluded.claimed_at
       WHERE ${mode === 'live' ? 'issue_number' : 'outbox_key'} IS NULL AND claimed_at <= ?5
       RETURNING claim_token`,
    )
    .bind(repo, input.releaseKey, token, now, now - lease)
    .first();
  if (claimed === null) {
    const row = await getRow(deps.db, input.repo, input.releaseKey);
    const ref = row === null ? null : refOf(row, mode);
    if (ref !== null) return ref;
    throw new TriageError('issue_claim_busy', 'the release issue is being created', {
      retryAfterSeconds: Math.ceil(lease / 1000),
    });
  }
  const record = (column: 'issue_number' | 'outbox_key', value: number | string) =>
    deps.db
      .prepare(
        `UPDATE triage_release_issues SET ${column} = ?4, state = 'open', claim_token = NULL, claimed_at = 0
         WHERE repo = ?1 AND release_key = ?2 AND claim_token = ?3`,
      )
      .bind(repo, input.releaseKey, token, value)
      .run();
  try {
    const marker = markerFor(input.releaseKey);
    if (mode === 'live') {
      const earlier = (await deps.github.findIssues(input.repo, labels)).find((i) =>
        (i.body ?? '').includes(marker),
      );
      if (earlier !== undefined) {
        await record('issue_number', earlier.number);
        return { kind: 'github', number: earlier.number };
      }
    }
    const title = plainLine(`[release] ${input.title}`, 200);
    const body = `Homeostat tracks the staged rollout of release ${codeSpan(input.releaseKey, 200)} here: canary decisions are posted as comments.\n\n${marker}`;
    const ref = await deps.github.createIssue(
      input.repo,
      { title, body, labels },
      `release-issue:${repo}:${input.releaseKey}`,
    );
    if (ref.kind === 'github') await record('issue_number', ref.number);
    else await record('outbox_key', ref.key);
    return ref;
  } catch (err) {
    await deps.db
      .prepare(
        `UPDATE triage_release_issues SET claim_token = NULL, claimed_at = 0
         WHERE repo = ?1 AND release_key = ?2 AND claim_token = ?3`,
      )
      .bind(repo, input.releaseKey, token)
      .run();
    throw err;
  }
}

export async function postReleaseComment(
  deps: ReleaseDeps,
  raw: unknown,
): Promise<ReleaseCommentResult> {
  const parsed = ReleaseCommentInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TriageError('invalid_request', 'invalid release comment', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })),
    });
  }
  const input = parsed.data;
  const repo = deps.config.repositories.find((r) => repoKey(r.slug) === repoKey(input.repo));
  if (repo === undefined)
    throw new TriageError('unknown_repository', 'the repository is not configured');
  const labels = [repo.labels.base, RELEASE_LABEL];
  const ref = await findOrCreateIssue(deps, input, labels);
  const issueNumber = ref.kind === 'github' ? ref.number : undefined;
  const done = (): ReleaseCommentResult =>
    deps.github.mode === 'live' && issueNumber !== undefined
      ? { status: 'sent', issueNumber }
      : { status: 'recorded' };

  const hash = await sha256Hex(`${input.releaseKey}\n${input.title}\n${input.body}`);
  const inserted = await deps.db
    .prepare(
      `INSERT INTO triage_release_comments (repo, release_key, content_hash, status, created_at)
       VALUES (?1, ?2, ?3, 'sending', ?4)
       ON CONFLICT (repo, release_key, content_hash) DO NOTHING RETURNING status`,
    )
    .bind(repoKey(input.repo), input.releaseKey, hash, deps.now())
    .first();
  if (inserted === null) {
    const row = await deps.db
      .prepare(
        'SELECT status FROM triage_release_comments WHERE repo = ?1 AND release_key = ?2 AND content_hash = ?3',
      )
      .bind(repoKey(input.repo), input.releaseKey, hash)
      .first<{ status: string }>();
    if (row?.status === 'sent' || row?.status === 'recorded') return done();
    // 'sending': an earlier call may have posted before failing; the marker tells.
  }
  const marker = `<!-- homeostat:release-comment:${hash.slice(0, 32)} -->`;
  const bodies = await deps.github.commentBodies(input.repo, ref);
  if (!bodies.some((b) => b.includes(marker))) {
    await deps.github.createComment(
      input.repo,
      ref,
      `${marker}\n**${escapeProse(input.title, 300)}**\n\n${escapeProse(input.body, 20_000)}`,
      `release-comment:${repoKey(input.repo)}:${input.releaseKey}:${hash}`,
    );
  }
  const result = done();
  await deps.db
    .prepare(
      'UPDATE triage_release_comments SET status = ?4 WHERE repo = ?1 AND release_key = ?2 AND content_hash = ?3',
    )
    .bind(repoKey(input.repo), input.releaseKey, hash, result.status)
    .run();
  return result;
}
