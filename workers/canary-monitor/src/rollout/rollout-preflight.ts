import { readStoreView, type StoreView } from '../cws/store-view.ts';
import { initialJudgeState } from '../judge/judge.ts';
import { nextVersionAbove } from './next-version.ts';
import { inferBaseline, versionTotals } from './release-health.ts';
import type { ActionStatus } from './rollout.schema.ts';
import {
  ALERTING,
  alertOnce,
  asCanaryError,
  dashboardLine,
  detach,
  errorResult,
  type Look,
  notice,
  outcome,
  pct,
  record,
  stageIndexFor,
  storeReadFailed,
  storeUnavailable,
  type TickOutcome,
} from './rollout-look.ts';
import type { RolloutChanges } from './rollout-store.ts';
import { preflightRollback } from './store-actions.ts';

/** Observe mode infers the baseline from the last day of release health. */
const BASELINE_LOOKBACK_MS = 24 * 3_600_000;

/**
 * PREFLIGHT (research/canary.md §4.1): find the versions and the stage, and dry-run the rollback
 * path (a `validateOnly` rollback), so that a halt later knows whether it can roll back.
 */
export async function preflight(look: Look): Promise<TickOutcome> {
  const { rollout } = look;
  if (look.mode === 'observe') {
    const baseline =
      rollout.baseline_version ??
      inferBaseline(
        await versionTotals(
          look.env.db,
          rollout.extension_id,
          look.env.tickAt - BASELINE_LOOKBACK_MS,
        ),
        rollout.version,
      );
    if (baseline === null) {
      return alertOnce(
        look,
        'no_baseline',
        'preflight',
        ['no_baseline'],
        'waiting: no earlier version has sessions to compare with',
      );
    }
    const res = await record(look, {
      decision: 'preflight',
      reasons: ['started'],
      changes: {
        state: 'STAGE',
        baseline_version: baseline,
        stage_started_at: look.env.tickAt,
        judge_state: initialJudgeState(rollout.params, rollout.stage_index),
        rollback_preflight: 'skipped',
        open_alert: null,
      },
      action: 'none',
      actionStatus: 'observe',
      notice: notice(
        look,
        `rollout started at ${pct(look, rollout.stage_index)}% against ${baseline}`,
        ['started'],
      ),
    });
    return outcome(look, res, 'preflight');
  }

  const store = look.store;
  if (store === null) return storeUnavailable(look, 'preflight');
  let view: StoreView;
  try {
    view = readStoreView(await store.fetchStatus(), rollout.version);
  } catch (err) {
    return storeReadFailed(look, asCanaryError(err), 'preflight');
  }
  if (view.takenDown) return detach(look, 'taken_down', view);
  if (view.newerVersion !== null) return detach(look, 'newer_version', view);
  if (view.canary === null) {
    const res = await record(look, {
      decision: 'preflight',
      reasons: [view.submitted?.state === 'PENDING_REVIEW' ? 'in_review' : 'awaiting_publish'],
      changes: {},
    });
    return outcome(look, res, 'preflight');
  }
  const baseline = rollout.baseline_version ?? view.baseline?.crxVersion ?? null;
  if (baseline === null) {
    return alertOnce(
      look,
      'no_baseline',
      'preflight',
      ['no_baseline'],
      'waiting: the store shows no earlier version to compare with',
    );
  }
  const stageIndex = stageIndexFor(rollout.stages, view.canary.deployPercentage);
  const changes: RolloutChanges = {
    state: 'STAGE',
    baseline_version: baseline,
    stage_index: stageIndex,
    stage_started_at: look.env.tickAt,
    judge_state: initialJudgeState(rollout.params, stageIndex),
    open_alert: null,
  };
  const reasons = ['started'];
  const lines: string[] = [];
  let actionStatus: ActionStatus = 'none';
  let actionResult: unknown;
  const needsRollback =
    rollout.rollback_policy !== 'never' || rollout.on_inconclusive === 'rollback';
  if (needsRollback) {
    const newVersion = nextVersionAbove(rollout.version, ...view.channels.map((c) => c.crxVersion));
    try {
      await preflightRollback(store, {
        canaryVersion: rollout.version,
        targetCrxVersion: baseline,
        newVersion,
        rollbackReason: `Homeostat preflight of rollout #${rollout.id}`,
      });
      changes.rollback_preflight = 'ok';
      changes.rollback_version = newVersion;
      actionStatus = 'applied';
      lines.push(`- rollback path checked (validateOnly): ${baseline} as ${newVersion}`);
    } catch (err) {
      const e = asCanaryError(err);
      if (e.retryable || ALERTING.has(e.code)) return storeReadFailed(look, e, 'preflight');
      // Missing or refused: automatic rollback is off for this rollout; halts freeze and page.
      changes.rollback_preflight = 'failed';
      actionStatus = 'failed';
      actionResult = errorResult(e);
      reasons.push('rollback_unavailable');
      lines.push(
        '- automatic rollback is NOT available (the validateOnly rollback was refused); a halt will freeze and page',
        ...dashboardLine(look),
      );
    }
  } else {
    changes.rollback_preflight = 'skipped';
  }
  const res = await record(look, {
    decision: 'preflight',
    reasons,
    changes,
    action: needsRollback ? 'rollback_preflight' : 'none',
    actionStatus,
    actionResult,
    notice: notice(
      look,
      `rollout started at ${view.canary.deployPercentage}% (stage ${pct(look, stageIndex)}%) against ${baseline}`,
      reasons,
      { lines },
    ),
  });
  return outcome(look, res, 'preflight');
}
