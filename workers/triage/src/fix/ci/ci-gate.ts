import { type RepositoryConfig, scrubText } from '@homeostat/shared';
import { z } from 'zod';
import { type AttemptRow, AttemptStore } from '../../attempt-store.ts';
import { getIssueRow, type IssueKey } from '../../issue/issue-store.ts';
import { FixRunStore } from '../fix-run-store.ts';
import { requiredChecksVerdict } from './required-checks.ts';

/**
 * CI gating (issue 10, items 3 and 4), run after every CI webhook that matches an attempt's head:
 *
 * - green on the exact head SHA → the draft becomes ready for review; a safe-class fix in a
 *   repository with `autoMerge` is merged with the head SHA pinned (GitHub refuses the merge if the
 *   head moved, so a push after the checks ran can never be merged unseen); needs-validation asks
 *   for review and is labelled `needs-human-review`;
 * - red → the failing checks are summarised (names, conclusions, output titles and summaries,
 *   first annotations; scrubbed and capped, since CI output may quote anything), the attempt is a
 *   failure, and the sweep cron queues the next attempt after the seed backoff with that summary
 *   in the prompt; after the last attempt the issue and PR get `needs-human-review` and Homeostat
 *   stops.
 *
 * Each transition is a compare-and-set on the attempt's run stage, so redelivered webhooks and
 * events that arrive together act once.
 */

export interface PrActions {
  /** Takes the draft out of draft; false when GitHub's PR is no longer at `headSha` or open. */
  markReadyForReview(
    repo: string,
    prNumber: number,
    headSha: string,
    fix: IssueKey,
    key: string,
  ): Promise<boolean>;
  merge(
    repo: string,
    prNumber: number,
    headSha: string,
    key: string,
  ): Promise<{ ok: true; mergeSha: string | null } | { ok: false; reason: string }>;
  requestReview(repo: string, prNumber: number, key: string): Promise<void>;
  addLabels(repo: string, issueNumber: number, labels: string[], key: string): Promise<void>;
  comment(repo: string, issueNumber: number, body: string, key: string): Promise<void>;
}

export interface CiGateContext {
  db: D1Database;
  repo: RepositoryConfig;
  actions: PrActions;
  now: () => number;
  /** A failed pattern fix lowers the pattern's confidence (learning, production only). */
  onPatternOutcome?: (
    candidateSource: string,
    success: boolean,
    attemptId: number,
  ) => Promise<void>;
}

export type GateResult =
  | 'not_ours'
  | 'pending'
  | 'already_decided'
  | 'ready'
  | 'merged'
  | 'merge_refused'
  | 'review_requested'
  | 'failed_retry_scheduled'
  | 'failed_final';

const FailureRowSchema = z.object({
  name: z.string(),
  conclusion: z.string(),
  title: z.string().nullable(),
  summary: z.string().nullable(),
  annotations: z.string().nullable(),
});

/** Ends `ci_outcome` when Homeostat merges the fix itself (ci-webhook.ts reads it). */
export const AUTO_MERGE_MARK = '(auto-merge)';

/** Bound on the feedback one attempt hands the next (it goes into a model prompt). */
export const MAX_FEEDBACK_CHARS = 4_000;

/** A compact, scrubbed description of the failing checks, for the next attempt and the record. */
export async function failureSummary(
  db: D1Database,
  attemptId: number,
  headSha: string,
  failed: readonly { name: string; conclusion: string }[],
): Promise<string> {
  const rows = await db
    .prepare(
      `SELECT name, conclusion, title, summary, annotations FROM fix_ci_failures
       WHERE head_sha = ?2 AND attempt_id IN (SELECT id FROM triage_attempts
         WHERE repo = (SELECT repo FROM triage_attempts WHERE id = ?1))
       ORDER BY received_at DESC`,
    )
    .bind(attemptId, headSha)
    .all();
  const details = new Map<string, z.infer<typeof FailureRowSchema>>();
  for (const raw of rows.results) {
    const row = FailureRowSchema.parse(raw);
    if (!details.has(row.name)) details.set(row.name, row);
  }
  const parts = failed.map((f) => {
    const d = details.get(f.name);
    const lines = [`check "${f.name}": ${f.conclusion}`];
    if (d?.title) lines.push(`title: ${d.title}`);
    if (d?.summary) lines.push(`summary: ${d.summary}`);
    if (d?.annotations) lines.push(`annotations:\n${d.annotations}`);
    return lines.join('\n');
  });
  const text = scrubText(parts.join('\n\n'));
  return text.length > MAX_FEEDBACK_CHARS ? `${text.slice(0, MAX_FEEDBACK_CHARS)}\n…` : text;
}

function keyOf(attempt: AttemptRow): IssueKey {
  return {
    repo: attempt.repo,
    extensionId: attempt.extension_id,
    fingerprint: attempt.fingerprint,
  };
}

export async function gateAttempt(ctx: CiGateContext, attempt: AttemptRow): Promise<GateResult> {
  const runs = new FixRunStore(ctx.db, ctx.now);
  const run = await runs.get(attempt.id);
  if (run === null || attempt.head_sha === null || attempt.pr_number === null) return 'not_ours';
  if (run.stage !== 'pr_written') return 'already_decided';
  const verdict = await requiredChecksVerdict(
    ctx.db,
    attempt.id,
    attempt.head_sha,
    ctx.repo.requiredChecks,
  );
  if (verdict.state === 'pending') return 'pending';
  const store = new AttemptStore(ctx.db, ctx.now);
  const key = keyOf(attempt);
  const issue = await getIssueRow(ctx.db, key);
  const pr = attempt.pr_number;
  const slug = ctx.repo.slug;
  const opKey = `${attempt.id}:${attempt.head_sha}`;
  const t0 = run.updated_at;

  if (verdict.state === 'red') {
    const summary = await failureSummary(ctx.db, attempt.id, attempt.head_sha, verdict.failed);
    const moved = await runs.advance(attempt.id, ['pr_written'], 'ci_red', {
      ciOutcome: `failure: ${verdict.failed.map((f) => f.name).join(', ')}`.slice(0, 500),
      ciSummary: summary,
      timings: { ci_ms: Math.max(0, ctx.now() - t0) },
    });
    if (!moved) return 'already_decided';
    await store.finish(attempt.id, 'failure');
    if (run.candidate_source !== null) {
      await ctx.onPatternOutcome?.(run.candidate_source, false, attempt.id);
    }
    const state = await store.state(key);
    const limit = ctx.repo.maxAttempts + state.extraAttempts;
    if (state.attempts >= limit) {
      const label = ctx.repo.labels.humanReview;
      await ctx.actions.addLabels(slug, pr, [label], `ci-final:${opKey}:pr`);
      if (issue?.issue_number != null) {
        await ctx.actions.addLabels(slug, issue.issue_number, [label], `ci-final:${opKey}:issue`);
        await ctx.actions.comment(
          slug,
          issue.issue_number,
          `Homeostat's fix attempt ${attempt.n} of ${limit} failed its required checks ` +
            `(${verdict.failed.map((f) => `\`${f.name}\``).join(', ')}). No attempts are left: ` +
            `this problem needs a human. Comment \`/homeostat retry\` to grant one more attempt.`,
          `ci-final:${opKey}:comment`,
        );
      }
      return 'failed_final';
    }
    return 'failed_retry_scheduled';
  }

  const cls = issue?.class ?? 'unknown';
  const autoMerge = cls === 'safe' && ctx.repo.autoMerge;
  const moved = await runs.advance(attempt.id, ['pr_written'], 'ci_green', {
    // The marker tells the merge webhook that Homeostat, not a reviewer, merged this one.
    ciOutcome:
      `success: ${verdict.checks.join(', ')}`.slice(0, 400) +
      (autoMerge ? ` ${AUTO_MERGE_MARK}` : ''),
    timings: { ci_ms: Math.max(0, ctx.now() - t0) },
  });
  if (!moved) return 'already_decided';
  const ready = await ctx.actions.markReadyForReview(
    slug,
    pr,
    attempt.head_sha,
    key,
    `ready:${opKey}`,
  );
  // A head that moved after CI judged it is judged again when its own checks arrive.
  if (!ready) return 'merge_refused';
  if (autoMerge) {
    const merged = await ctx.actions.merge(slug, pr, attempt.head_sha, `merge:${opKey}`);
    if (!merged.ok) return 'merge_refused';
    await runs.advance(attempt.id, ['ci_green'], 'merged', {
      ...(merged.mergeSha === null ? {} : { mergeSha: merged.mergeSha }),
    });
    await store.setPullRequestState(attempt.id, 'merged');
    await store.finish(attempt.id, 'success');
    if (run.candidate_source !== null) {
      await ctx.onPatternOutcome?.(run.candidate_source, true, attempt.id);
    }
    return 'merged';
  }
  if (cls === 'needs-validation') {
    await ctx.actions.requestReview(slug, pr, `review:${opKey}`);
    await ctx.actions.addLabels(slug, pr, [ctx.repo.labels.humanReview], `review-label:${opKey}`);
    return 'review_requested';
  }
  return 'ready';
}
