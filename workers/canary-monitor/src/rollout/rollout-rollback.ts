import { nextVersionAbove } from './next-version.ts';
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
  record,
  storeUnavailable,
  type TickOutcome,
} from './rollout-look.ts';
import type { CommitResult } from './rollout-store.ts';
import { ensureRolledBack } from './store-actions.ts';

/**
 * Rollback (research/canary.md §1.6, §4.3): the previous version is republished to every user
 * under a new, higher version number. `startRollback` records the plan as pending (state
 * ROLLING_BACK) before any store call; `executeRollback` makes it, and is also what `resume`
 * calls after a crash. A refusal for good freezes the rollout and is never retried (§6.8).
 */
export async function startRollback(
  look: Look,
  j: Judged,
  baseline: string,
  decision: 'halt' | 'inconclusive',
  headline: string,
): Promise<TickOutcome> {
  const { rollout } = look;
  const out = j.judgeOutput;
  const newVersion = rollout.rollback_version ?? nextVersionAbove(rollout.version);
  const pending: PendingAction = {
    kind: 'rollback',
    plan: {
      canaryVersion: rollout.version,
      targetCrxVersion: baseline,
      newVersion,
      rollbackReason: `${decision} of ${rollout.version} (${j.reasons.join(', ')})`,
    },
    decisionTickAt: look.env.tickAt,
  };
  const res = await record(look, {
    ...j,
    decision,
    changes: { ...j.changes, state: 'ROLLING_BACK', pending_action: pending },
    action: 'rollback',
    actionStatus: 'pending',
    notice: notice(look, `${headline}: rolling back to ${baseline}`, j.reasons, { out }),
  });
  if (!res.ok) return outcome(look, res, decision);
  return executeRollback(look, res.rollout, pending, res.decisionId, decision);
}

export async function executeRollback(
  look: Look,
  rollout: Rollout,
  pending: Extract<PendingAction, { kind: 'rollback' }>,
  decisionId: number | null,
  decision: DecisionKind,
): Promise<TickOutcome> {
  const store = look.store;
  if (store === null) return storeUnavailable(look, decision);
  const done = (res: CommitResult) => outcome(look, res, decision);
  const rollbackReason = `Homeostat decision #${decisionId ?? 'unknown'}: ${pending.plan.rollbackReason}`;
  try {
    const result = await ensureRolledBack(store, { ...pending.plan, rollbackReason });
    if (result.outcome === 'detached') {
      return done(await detachBefore(look, rollout, result, 'rolling back'));
    }
    return done(
      await finish(look, rollout, {
        changes: {
          state: 'ROLLED_BACK',
          pending_action: null,
          rollback_version: pending.plan.newVersion,
        },
        status: result.outcome,
        result: {
          targetCrxVersion: pending.plan.targetCrxVersion,
          newVersion: pending.plan.newVersion,
          rollbackReason,
        },
        notice: notice(
          look,
          `rolled back: ${pending.plan.targetCrxVersion} republished to all users as ${pending.plan.newVersion}`,
          ['rollback'],
        ),
      }),
    );
  } catch (err) {
    const e = asCanaryError(err);
    const result = errorResult(e);
    if (e.retryable || ALERTING.has(e.code) || e.code === 'store_invalid_response') {
      // Still ROLLING_BACK with the action pending: the next tick re-reads and retries.
      const alert = ALERTING.has(e.code) && rollout.open_alert !== e.code;
      return done(
        await finish(look, rollout, {
          changes: ALERTING.has(e.code) ? { open_alert: e.code } : {},
          status: 'failed',
          result,
          notice: alert
            ? notice(look, `alert: rollback blocked (${e.code})`, [e.code], {
                lines: dashboardLine(look),
              })
            : null,
        }),
      );
    }
    // 404 (no :rollback yet) or 400 (refused): freeze, page with the dashboard link, and never
    // retry the same rollback (§6.8).
    return done(
      await finish(look, rollout, {
        changes: {
          state: 'FROZEN',
          pending_action: null,
          rollback_preflight: 'failed',
          detail: e.code,
        },
        status: 'failed',
        result,
        notice: notice(
          look,
          `rollback refused by the store (${e.code}): frozen; roll back by hand`,
          [e.code],
          { lines: dashboardLine(look) },
        ),
      }),
    );
  }
}
