import type { ExtensionConfig, HomeostatConfig } from '@homeostat/shared';
import { CanaryError } from '../canary-error.ts';
import type { CwsClient } from '../cws/cws-client.ts';
import { readStoreView, type StoreView } from '../cws/store-view.ts';
import type { JudgeInput, JudgeOutput } from '../judge/judge.schema.ts';
import { initialJudgeState, judge, WINDOW_MS } from '../judge/judge.ts';
import { buildNotice, dashboardUrl, type Notice } from '../notify/notification-text.ts';
import { nextVersionAbove } from './next-version.ts';
import {
  inferBaseline,
  lastSettledWindow,
  loadCriticalFingerprints,
  loadWindows,
  versionTotals,
} from './release-health.ts';
import type {
  ActionStatus,
  AlertCode,
  DecisionKind,
  PendingAction,
  Rollout,
  RolloutAction,
  RolloutState,
} from './rollout.schema.ts';
import {
  type CommitResult,
  commitRollout,
  decisionIdAt,
  type NotificationDraft,
  type RolloutChanges,
} from './rollout-store.ts';
import {
  type ActionOutcome,
  ensureDeployPercentage,
  ensureRolledBack,
  preflightRollback,
} from './store-actions.ts';

/**
 * One look at one rollout per cron tick: the state machine of research/canary.md §4.1–4.2. Every
 * state change is a compare-and-set (rollout-store.ts); a store mutation is preceded by a commit
 * that records it as pending, and followed by one that records its outcome, so a tick that dies
 * in between is finished by the next one, which re-reads `fetchStatus` first (§6.7).
 */
export interface TickEnv {
  db: D1Database;
  config: HomeostatConfig;
  /** The cron tick's scheduled time: the clock of every decision taken in it. */
  tickAt: number;
  /** Store client for an extension, or null: no credentials, so live rollouts cannot act. */
  storeFor(extension: ExtensionConfig): CwsClient | null;
  channels: readonly NotificationDraft['channel'][];
}

export interface TickOutcome {
  rolloutId: number;
  decision: DecisionKind | 'lost_race' | 'skipped';
  state: RolloutState;
}

/** At most one day of windows per look, so a long outage catches up over a few ticks. */
const MAX_WINDOWS_PER_LOOK = 288;
const BASELINE_LOOKBACK_MS = 24 * 3_600_000;

interface Look {
  env: TickEnv;
  rollout: Rollout;
  extension: Pick<ExtensionConfig, 'id' | 'name' | 'store'>;
  store: CwsClient | null;
  mode: 'live' | 'observe';
}

interface RecordArgs {
  decision: DecisionKind;
  reasons: readonly string[];
  changes?: RolloutChanges;
  action?: RolloutAction;
  actionStatus?: ActionStatus;
  actionResult?: unknown;
  judgeInput?: JudgeInput;
  judgeOutput?: JudgeOutput;
  notice?: Notice | null;
}

function drafts(look: Look, notice: Notice | null | undefined, key: string): NotificationDraft[] {
  if (notice === null || notice === undefined) return [];
  return look.env.channels.map((channel) => ({
    channel,
    dedupeKey: `rollout:${look.rollout.id}:tick:${look.env.tickAt}:${key}:${channel}`,
    title: notice.title,
    body: notice.body,
  }));
}

async function record(look: Look, args: RecordArgs): Promise<CommitResult> {
  const changes = args.changes ?? {};
  return commitRollout(
    look.env.db,
    look.rollout,
    {
      changes,
      decision: {
        tickAt: look.env.tickAt,
        mode: look.mode,
        stateBefore: look.rollout.state,
        stateAfter: changes.state ?? look.rollout.state,
        stageIndex: changes.stage_index ?? look.rollout.stage_index,
        decision: args.decision,
        reasons: args.reasons,
        ...(args.judgeInput === undefined ? {} : { judgeInput: JSON.stringify(args.judgeInput) }),
        ...(args.judgeOutput === undefined
          ? {}
          : { judgeOutput: JSON.stringify(args.judgeOutput) }),
        action: args.action ?? 'none',
        actionStatus: args.actionStatus ?? 'none',
        actionResult: args.actionResult,
      },
      notifications: drafts(look, args.notice, 'decision'),
    },
    look.env.tickAt,
  );
}

/** Second half of a store action: the outcome, on the same decision row. */
async function finish(
  look: Look,
  rollout: Rollout,
  args: { changes: RolloutChanges; status: ActionStatus; result?: unknown; notice?: Notice | null },
): Promise<CommitResult> {
  return commitRollout(
    look.env.db,
    rollout,
    {
      changes: args.changes,
      decisionUpdate: {
        tickAt: look.env.tickAt,
        stateAfter: args.changes.state ?? rollout.state,
        actionStatus: args.status,
        actionResult: args.result,
      },
      notifications: drafts(look, args.notice, 'outcome'),
    },
    look.env.tickAt,
  );
}

function notice(
  look: Look,
  headline: string,
  reasons: readonly string[],
  extra: { out?: JudgeOutput; lines?: string[] } = {},
) {
  return buildNotice({
    rollout: look.rollout,
    extensionName: look.extension.name,
    mode: look.mode,
    headline,
    reasons,
    ...(extra.out === undefined ? {} : { judgeOutput: extra.out }),
    ...(extra.lines === undefined ? {} : { lines: extra.lines }),
  });
}

function dashboardLine(look: Look): string[] {
  const store = look.extension.store;
  if (store === undefined) return [];
  return [`- act by hand: ${dashboardUrl(store.publisherId, store.itemId ?? look.extension.id)}`];
}

const pct = (look: Look, index: number) => look.rollout.stages[index] ?? 100;

/** The largest configured stage at or below the store's percentage (0 = "not yet set"). */
function stageIndexFor(stages: readonly number[], percentage: number): number {
  let index = 0;
  stages.forEach((p, i) => {
    if (p <= percentage) index = i;
  });
  return index;
}

function errorResult(err: CanaryError) {
  return {
    error: err.code,
    upstreamStatus: err.upstreamStatus ?? null,
    body: err.internal ?? null,
  };
}

function asCanaryError(err: unknown): CanaryError {
  if (err instanceof CanaryError) return err;
  throw err;
}

const ALERTING: ReadonlySet<string> = new Set([
  'store_auth_expired',
  'store_forbidden',
  'store_credentials_invalid',
]);

/** A failed store read: hold without judging (no window is consumed), alert once per episode. */
async function storeReadFailed(
  look: Look,
  err: CanaryError,
  decision: DecisionKind,
): Promise<TickOutcome> {
  const alert = ALERTING.has(err.code) && look.rollout.open_alert !== err.code;
  const res = await record(look, {
    decision,
    reasons: ['store_error', err.code],
    changes: ALERTING.has(err.code) ? { open_alert: err.code } : {},
    actionResult: errorResult(err),
    notice: alert
      ? notice(
          look,
          `alert: ${err.code === 'store_auth_expired' ? 'store credentials expired or revoked' : 'store refused access'}; nothing will be promoted until fixed`,
          [err.code],
          { lines: dashboardLine(look) },
        )
      : null,
  });
  return outcome(look, res, decision);
}

function outcome(look: Look, res: CommitResult, decision: DecisionKind): TickOutcome {
  return res.ok
    ? { rolloutId: look.rollout.id, decision, state: res.rollout.state }
    : { rolloutId: look.rollout.id, decision: 'lost_race', state: look.rollout.state };
}

async function detach(look: Look, reason: string, view: StoreView | null): Promise<TickOutcome> {
  const res = await record(look, {
    decision: 'detach',
    reasons: [reason],
    changes: { state: 'DETACHED', pending_action: null, detail: reason },
    action: 'detach',
    actionStatus: 'applied',
    actionResult:
      view === null ? undefined : { channels: view.channels, takenDown: view.takenDown },
    notice: notice(
      look,
      `detached (${reason.replace(/_/g, ' ')}): the rollout changed outside Homeostat, which stops acting on it`,
      [reason],
      { lines: dashboardLine(look) },
    ),
  });
  return outcome(look, res, 'detach');
}

async function alertOnce(
  look: Look,
  code: AlertCode,
  decision: DecisionKind,
  reasons: string[],
  headline: string,
): Promise<TickOutcome> {
  const fresh = look.rollout.open_alert !== code;
  const res = await record(look, {
    decision,
    reasons,
    changes: { open_alert: code },
    notice: fresh ? notice(look, headline, reasons, { lines: dashboardLine(look) }) : null,
  });
  return outcome(look, res, decision);
}

// ---------------------------------------------------------------------------------------------
// PREFLIGHT (§4.1): find the versions and the stage, and dry-run the rollback path.
// ---------------------------------------------------------------------------------------------

async function preflight(look: Look): Promise<TickOutcome> {
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

function storeUnavailable(look: Look, decision: DecisionKind): Promise<TickOutcome> {
  return alertOnce(
    look,
    'store_unavailable',
    decision,
    ['store_unavailable'],
    'alert: a live rollout but no store credentials; nothing will be done until they are restored',
  );
}

// ---------------------------------------------------------------------------------------------
// STAGE / INCONCLUSIVE: judge the new windows and act (§4.2).
// ---------------------------------------------------------------------------------------------

async function judgeLook(look: Look): Promise<TickOutcome> {
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

interface Judged {
  judgeInput: JudgeInput;
  judgeOutput: JudgeOutput;
  reasons: string[];
  changes: RolloutChanges;
  stageIndex: number;
}

async function promote(look: Look, j: Judged & { isLast: boolean }): Promise<TickOutcome> {
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

/**
 * The store shows the rollout changed outside Homeostat just before an action (a take-down, a
 * newer version, the canary gone): stop acting on it rather than fight the change.
 */
function detachBefore(
  look: Look,
  rollout: Rollout,
  result: Extract<ActionOutcome, { outcome: 'detached' }>,
  action: string,
): Promise<CommitResult> {
  return finish(look, rollout, {
    changes: { state: 'DETACHED', pending_action: null, detail: result.reason },
    status: 'failed',
    result: { detached: result.reason, channels: result.view.channels },
    notice: notice(
      look,
      `detached (${result.reason.replace(/_/g, ' ')}) before ${action}`,
      [result.reason],
      { lines: dashboardLine(look) },
    ),
  });
}

async function executePromote(
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

function wantsRollback(look: Look, critical: boolean): boolean {
  const policy = look.rollout.rollback_policy;
  return policy === 'always' || (policy === 'critical' && critical);
}

async function halt(look: Look, j: Judged): Promise<TickOutcome> {
  const out = j.judgeOutput;
  // Either critical guardrail makes a critical halt: the one `rollback: 'critical'` acts on (§4.3).
  const criticalRate = out.reasons.includes('critical_rate');
  const criticalFingerprint = out.reasons.includes('critical_fingerprint');
  const rollback = wantsRollback(look, criticalRate || criticalFingerprint);
  const why = [
    ...(criticalRate ? ['critical error rate'] : []),
    ...(criticalFingerprint ? ['a critical problem the baseline never had'] : []),
  ];
  return freezeOrRollBack(
    look,
    j,
    rollback,
    'halt',
    `halted at ${pct(look, j.stageIndex)}%${why.length > 0 ? ` (${why.join('; ')})` : ''}`,
  );
}

async function inconclusive(look: Look, j: Judged): Promise<TickOutcome> {
  const rollback =
    look.rollout.on_inconclusive === 'rollback' && look.rollout.rollback_policy !== 'never';
  if (!rollback) {
    const res = await record(look, {
      ...j,
      decision: 'inconclusive',
      changes: { ...j.changes, state: 'INCONCLUSIVE' },
      notice: notice(
        look,
        `INCONCLUSIVE after ${(look.rollout.params.maxStageMinutes / 60).toFixed(0)} h at ${pct(look, j.stageIndex)}%: holding; a human decides`,
        j.reasons,
        { out: j.judgeOutput },
      ),
    });
    return outcome(look, res, 'inconclusive');
  }
  return freezeOrRollBack(
    look,
    j,
    true,
    'inconclusive',
    `INCONCLUSIVE at ${pct(look, j.stageIndex)}%`,
  );
}

async function freezeOrRollBack(
  look: Look,
  j: Judged,
  rollback: boolean,
  decision: 'halt' | 'inconclusive',
  headline: string,
): Promise<TickOutcome> {
  const { rollout } = look;
  const out = j.judgeOutput;
  const frozenState: RolloutState = decision === 'halt' ? 'FROZEN' : 'INCONCLUSIVE';
  const baseline = rollout.baseline_version;
  if (
    !rollback ||
    look.mode === 'observe' ||
    rollout.rollback_preflight === 'failed' ||
    baseline === null
  ) {
    const lines =
      rollback && look.mode === 'observe'
        ? [`- would roll back to ${baseline ?? 'the baseline'} (observe mode: nothing was sent)`]
        : rollback
          ? [
              '- automatic rollback is not available for this rollout: roll back by hand',
              ...dashboardLine(look),
            ]
          : [
              '- frozen: the percentage will not be raised; users already updated keep this version',
              ...dashboardLine(look),
            ];
    const res = await record(look, {
      ...j,
      decision,
      changes: { ...j.changes, state: frozenState },
      action: 'freeze',
      actionStatus: look.mode === 'observe' ? 'observe' : 'applied',
      actionResult: { wouldRollback: rollback },
      notice: notice(look, `${headline}: frozen`, j.reasons, { out, lines }),
    });
    return outcome(look, res, decision);
  }
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

async function executeRollback(
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

/** A store action recorded as pending by an earlier tick that did not finish it. */
async function resume(look: Look, pending: PendingAction): Promise<TickOutcome> {
  if (look.store === null) return storeUnavailable(look, 'resume');
  // Claim the action first, so two overlapping ticks cannot both resume it.
  const res = await record(look, {
    decision: 'resume',
    reasons: [pending.kind],
    action: pending.kind,
    actionStatus: 'pending',
  });
  if (!res.ok) return outcome(look, res, 'resume');
  if (pending.kind === 'promote') return executePromote(look, res.rollout, pending, 'resume');
  const original = await decisionIdAt(look.env.db, look.rollout.id, pending.decisionTickAt);
  return executeRollback(look, res.rollout, pending, original ?? res.decisionId, 'resume');
}

export async function tickRollout(env: TickEnv, rollout: Rollout): Promise<TickOutcome> {
  const extension = env.config.extensions.find((e) => e.id === rollout.extension_id);
  if (extension === undefined) {
    // Removed from the config: nothing can be judged or acted on any more.
    const look: Look = {
      env,
      rollout,
      extension: { id: rollout.extension_id, name: rollout.extension_id, store: undefined },
      store: null,
      mode: 'observe',
    };
    return detach(look, 'extension_not_configured', null);
  }
  let store: CwsClient | null = null;
  let credentialsError: CanaryError | null = null;
  try {
    store = rollout.mode === 'live' ? env.storeFor(extension) : null;
  } catch (err) {
    credentialsError = asCanaryError(err);
  }
  const look: Look = { env, rollout, extension, store, mode: rollout.mode };
  if (credentialsError !== null) return storeReadFailed(look, credentialsError, 'hold');
  if (rollout.pending_action !== null) return resume(look, rollout.pending_action);
  switch (rollout.state) {
    case 'PREFLIGHT':
      return preflight(look);
    case 'STAGE':
    case 'INCONCLUSIVE':
      return judgeLook(look);
    default:
      return { rolloutId: rollout.id, decision: 'skipped', state: rollout.state };
  }
}
