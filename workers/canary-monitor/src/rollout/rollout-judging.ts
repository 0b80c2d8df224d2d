import { readStoreView, type StoreView } from '../cws/store-view.ts';
import type { JudgeInput } from '../judge/judge.schema.ts';
import { initialJudgeState, judge, WINDOW_MS } from '../judge/judge.ts';
import { lastSettledWindow, loadCriticalFingerprints, loadWindows } from './release-health.ts';
import { halt, inconclusive } from './rollout-halt.ts';
import {
  alertOnce,
  asCanaryError,
  detach,
  type Look,
  notice,
  outcome,
  record,
  stageIndexFor,
  storeReadFailed,
  storeUnavailable,
  type TickOutcome,
} from './rollout-look.ts';
import { promote } from './rollout-promote.ts';
import type { RolloutChanges } from './rollout-store.ts';

/** At most one day of windows per look, so a long outage catches up over a few ticks. */
const MAX_WINDOWS_PER_LOOK = 288;

/**
 * STAGE / INCONCLUSIVE (research/canary.md §4.2): follow the store's percentage (live), judge
 * the windows settled since the last look, and hand the decision to its step.
 */
export async function judgeLook(look: Look): Promise<TickOutcome> {
  const { rollout, env } = look;
  let stageIndex = rollout.stage_index;
  let stageStartedAt = rollout.stage_started_at ?? env.tickAt;
  const reasons: string[] = [];
  const changes: RolloutChanges = {};
  if (look.mode === 'live') {
    if (look.store === null) return storeUnavailable(look, 'hold');
    let view: StoreView;
    try {
      view = readStoreView(await look.store.fetchStatus(), rollout.version);
    } catch (err) {
      return storeReadFailed(look, asCanaryError(err), 'hold');
    }
    // An external change is detected, not fought (§4.1).
    if (view.takenDown) return detach(look, 'taken_down', view);
    if (view.newerVersion !== null) return detach(look, 'newer_version', view);
    if (view.canary === null) return detach(look, 'canary_gone', view);
    if (rollout.open_alert?.startsWith('store_') === true) changes.open_alert = null;
    const adopted = stageIndexFor(rollout.stages, view.canary.deployPercentage);
    if (adopted > stageIndex) {
      // Raised by hand in the dashboard: follow it; the new stage needs its own evidence.
      stageIndex = adopted;
      stageStartedAt = env.tickAt;
      reasons.push('percentage_changed_externally');
      changes.stage_index = stageIndex;
      changes.stage_started_at = stageStartedAt;
      changes.state = 'STAGE';
    }
  }
  const baseline = rollout.baseline_version;
  if (baseline === null)
    return alertOnce(look, 'no_baseline', 'hold', ['no_baseline'], 'waiting: no baseline version');

  const prior = rollout.judge_state ?? initialJudgeState(rollout.params, stageIndex);
  const from =
    prior.lastWindowStart === null ? rollout.windows_from : prior.lastWindowStart + WINDOW_MS;
  const settled = lastSettledWindow(env.tickAt, env.config.canary.windowSettleMinutes);
  const to = Math.min(settled, from + (MAX_WINDOWS_PER_LOOK - 1) * WINDOW_MS);
  const windows = await loadWindows(env.db, {
    extensionId: rollout.extension_id,
    canary: rollout.version,
    baseline,
    from,
    to,
  });
  // Cumulative counts as of this look, stored with the windows so the decision replays (§6.7).
  const fingerprints = await loadCriticalFingerprints(env.db, {
    extensionId: rollout.extension_id,
    canary: rollout.version,
    baseline,
  });
  const isLast = stageIndex === rollout.stages.length - 1;
  const input: JudgeInput = {
    params: rollout.params,
    prior,
    stage: { index: stageIndex, startedAt: stageStartedAt, isLast },
    windows,
    fingerprints,
    now: env.tickAt,
  };
  const out = judge(input);
  reasons.push(...out.reasons);
  changes.judge_state = out.state;
  const base = { judgeInput: input, judgeOutput: out };
  const alertNotice = out.alerts.includes('data_gap')
    ? notice(
        look,
        `alert: no release-health data for over ${rollout.params.maxDataGapMinutes} min; holding`,
        ['data_gap'],
        { out },
      )
    : null;

  switch (out.decision) {
    case 'hold': {
      const res = await record(look, {
        ...base,
        decision: 'hold',
        reasons,
        changes,
        notice: alertNotice,
      });
      return outcome(look, res, 'hold');
    }
    case 'promote':
      return promote(look, { ...base, reasons, changes, stageIndex, isLast });
    case 'halt':
      return halt(look, { ...base, reasons, changes, stageIndex });
    case 'inconclusive':
      return inconclusive(look, { ...base, reasons, changes, stageIndex });
  }
}
