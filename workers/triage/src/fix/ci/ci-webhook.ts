import { scrubText } from '@homeostat/shared';
import { type AttemptRow, AttemptStore } from '../../attempt-store.ts';
import { FixRunStore } from '../fix-run-store.ts';
import { AUTO_MERGE_MARK, type CiGateContext, type GateResult, gateAttempt } from './ci-gate.ts';

/**
 * The fixer's part of the webhook handlers (issue 10, items 3–6): keep what a failing check said,
 * run the CI gate after every CI event of an attempt, and close the attempt when its PR is merged
 * or closed. Everything here is keyed by delivery id or guarded by the run's stage, so a
 * redelivered webhook changes nothing.
 */

const MAX_TEXT = 1_500;

function capped(text: string | null | undefined): string | null {
  if (text === null || text === undefined || text === '') return null;
  const scrubbed = scrubText(text);
  return scrubbed.length > MAX_TEXT ? `${scrubbed.slice(0, MAX_TEXT)}…` : scrubbed;
}

const FAILING = new Set([
  'failure',
  'cancelled',
  'timed_out',
  'action_required',
  'startup_failure',
]);

export async function recordCheckFailure(
  db: D1Database,
  deliveryId: string,
  attempt: AttemptRow,
  check: {
    name: string;
    headSha: string;
    conclusion: string | null;
    title?: string | null;
    summary?: string | null;
    annotations?: string | null;
  },
  now: number,
): Promise<void> {
  if (check.conclusion === null || !FAILING.has(check.conclusion)) return;
  await db
    .prepare(
      `INSERT INTO fix_ci_failures (delivery_id, attempt_id, head_sha, name, conclusion, title,
         summary, annotations, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (delivery_id) DO NOTHING`,
    )
    .bind(
      deliveryId,
      attempt.id,
      check.headSha,
      check.name.slice(0, 200),
      check.conclusion,
      capped(check.title),
      capped(check.summary),
      capped(check.annotations),
      now,
    )
    .run();
}

export async function afterCiEvent(
  ctx: CiGateContext,
  attempt: AttemptRow | null,
): Promise<GateResult | null> {
  if (attempt === null) return null;
  return gateAttempt(ctx, attempt);
}

export interface MergedFix {
  attempt: AttemptRow;
  mergeSha: string | null;
  /** A person merged it (not Homeostat's own auto-merge): only then may a pattern be learned. */
  mergedByHuman: boolean;
  candidateSource: string | null;
}

/**
 * A Homeostat PR was closed: merged → the attempt succeeded and its merge SHA is kept for the
 * "fixed in <version>" resolution; closed unmerged by a person → the attempt is abandoned and the
 * PR is never reopened (Renovate's rule: a closed PR means "not this").
 */
export async function onFixPullRequestClosed(
  ctx: { db: D1Database; now: () => number; onMerged?: (fix: MergedFix) => Promise<void> },
  attempt: AttemptRow,
  pr: {
    merged: boolean;
    mergeSha: string | null;
    mergedBy: { login: string; type: string } | null;
  },
  ourLogin: string | null,
): Promise<'merged' | 'closed' | 'already'> {
  const runs = new FixRunStore(ctx.db, ctx.now);
  const store = new AttemptStore(ctx.db, ctx.now);
  const run = await runs.get(attempt.id);
  if (run === null) return 'already';
  if (pr.merged) {
    // Homeostat's own merge already moved the run to `merged`; a human's merge moves it here.
    const moved = await runs.advance(attempt.id, ['pr_written', 'ci_green', 'ci_red'], 'merged', {
      ...(pr.mergeSha === null ? {} : { mergeSha: pr.mergeSha }),
    });
    if (!moved) {
      if (run.stage === 'merged' && run.merge_sha === null && pr.mergeSha !== null) {
        await runs.advance(attempt.id, ['merged'], 'merged', { mergeSha: pr.mergeSha });
      }
      return 'already';
    }
    await store.setPullRequestState(attempt.id, 'merged');
    await store.finish(attempt.id, 'success');
    // Homeostat's own merge is recognised by the gate's marker, whatever account its token is.
    const mergedByHuman =
      pr.mergedBy !== null &&
      pr.mergedBy.type === 'User' &&
      (ourLogin === null || pr.mergedBy.login !== ourLogin) &&
      !(run.ci_outcome ?? '').endsWith(AUTO_MERGE_MARK);
    await ctx.onMerged?.({
      attempt,
      mergeSha: pr.mergeSha,
      mergedByHuman,
      candidateSource: run.candidate_source,
    });
    return 'merged';
  }
  const moved = await runs.advance(
    attempt.id,
    ['proposed', 'pr_written', 'ci_green', 'ci_red'],
    'abandoned',
    { reason: 'closed_by_human' },
  );
  await store.setPullRequestState(attempt.id, 'closed');
  if (moved && run.stage !== 'ci_red') await store.finish(attempt.id, 'abandoned');
  return moved ? 'closed' : 'already';
}
