import type { JudgeOutput } from '../judge/judge.schema.ts';
import type { DecisionKind, PendingAction, Rollout } from './rollout.schema.ts';
import {
  ALERTING,
  asCanaryError,
  dashboardLine,
  detachBefore,
  errorResult,
  finish,
  type Judged,
  type Look,
  notice,
  outcome,
  pct,
  record,
  stageIndexFor,
  storeUnavailable,
  type TickOutcome,
} from './rollout-look.ts';
import type { CommitResult } from './rollout-store.ts';
import { ensureDeployPercentage } from './store-actions.ts';

/**
 * Promotion (research/canary.md §4.2 step 5): complete at the last stage, otherwise record the
 * raise as pending and execute it (`executePromote`, also what `resume` calls after a crash).
 * A store that refuses for good freezes the rollout and pages; a transient refusal is retried by
 * a later look, which still holds the evidence.
 */
export async function promote(look: Look, j: Judged & { isLast: boolean }): Promise<TickOutcome> {
  const out = j.judgeOutput;
  if (j.isLast) {
    const res = await record(look, {
      ...j,
      decision: 'promote',
      changes: { ...j.changes, state: 'COMPLETE' },
      action: 'complete',
      actionStatus: look.mode === 'observe' ? 'observe' : 'applied',
      notice: notice(look, 'rollout complete at 100%', j.reasons, { out }),
    });
    return outcome(look, res, 'promote');
  }
  const target = pct(look, j.stageIndex + 1);
  if (look.mode === 'observe') {
    const res = await record(look, {
      ...j,
      decision: 'promote',
      changes: {
        ...j.changes,
        state: 'STAGE',
        stage_index: j.stageIndex + 1,
        stage_started_at: look.env.tickAt,
      },
      action: 'promote',
      actionStatus: 'observe',
      notice: notice(look, `would promote to ${target}%`, j.reasons, { out }),
    });
    return outcome(look, res, 'promote');
  }
  const pending: PendingAction = { kind: 'promote', fromStage: j.stageIndex, target };
  const res = await record(look, {
    ...j,
    decision: 'promote',
    changes: { ...j.changes, pending_action: pending },
    action: 'promote',
    actionStatus: 'pending',
  });
  if (!res.ok) return outcome(look, res, 'promote');
  return executePromote(look, res.rollout, pending, 'promote', out);
}

export async function executePromote(
  look: Look,
  rollout: Rollout,
  pending: Extract<PendingAction, { kind: 'promote' }>,
  decision: DecisionKind,
  out?: JudgeOutput,
): Promise<TickOutcome> {
  const store = look.store;
  if (store === null) return storeUnavailable(look, decision);
  const done = (res: CommitResult) => outcome(look, res, decision);
  const targetIndex = stageIndexFor(rollout.stages, pending.target);
  try {
    const result = await ensureDeployPercentage(store, rollout.version, pending.target);
    if (result.outcome === 'detached') {
      return done(await detachBefore(look, rollout, result, 'promoting'));
    }
    return done(
      await finish(look, rollout, {
        changes: {
          state: 'STAGE',
          stage_index: targetIndex,
          stage_started_at: look.env.tickAt,
          pending_action: null,
        },
        status: result.outcome,
        result: { target: pending.target, before: result.view.canary?.deployPercentage ?? null },
        notice: notice(
          look,
          `promoted to ${pending.target}%`,
          [decision === 'resume' ? 'resumed' : 'e_safe'],
          out === undefined ? {} : { out },
        ),
      }),
    );
  } catch (err) {
    const e = asCanaryError(err);
    const result = errorResult(e);
    if (e.code === 'store_taken_down') {
      return done(
        await finish(look, rollout, {
          changes: { state: 'DETACHED', pending_action: null, detail: 'taken_down' },
          status: 'failed',
          result,
        }),
      );
    }
    if (e.retryable || ALERTING.has(e.code) || e.code === 'store_invalid_response') {
      // Retried by a later tick: the judge still holds the evidence for this promotion.
      const alert = ALERTING.has(e.code) && rollout.open_alert !== e.code;
      return done(
        await finish(look, rollout, {
          changes: {
            pending_action: null,
            ...(ALERTING.has(e.code) ? { open_alert: e.code } : {}),
          },
          status: 'failed',
          result,
          notice: alert
            ? notice(look, `alert: could not promote (${e.code})`, [e.code], {
                lines: dashboardLine(look),
              })
            : null,
        }),
      );
    }
    // Not eligible (< 10,000 users), refused or gone: freeze and page a human.
    return done(
      await finish(look, rollout, {
        changes: { state: 'FROZEN', pending_action: null, detail: e.code },
        status: 'failed',
        result,
        notice: notice(
          look,
          `frozen: the store refused the promotion to ${pending.target}% (${e.code})`,
          [e.code],
          { lines: dashboardLine(look) },
        ),
      }),
    );
  }
}
