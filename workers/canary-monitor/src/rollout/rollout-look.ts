import type { ExtensionConfig, HomeostatConfig } from '@homeostat/shared';
import { CanaryError } from '../canary-error.ts';
import type { CwsClient } from '../cws/cws-client.ts';
import type { StoreView } from '../cws/store-view.ts';
import type { JudgeInput, JudgeOutput } from '../judge/judge.schema.ts';
import { buildNotice, dashboardUrl, type Notice } from '../notify/notification-text.ts';
import type {
  ActionStatus,
  AlertCode,
  DecisionKind,
  Rollout,
  RolloutAction,
  RolloutState,
} from './rollout.schema.ts';
import {
  type CommitResult,
  commitRollout,
  type NotificationDraft,
  type RolloutChanges,
} from './rollout-store.ts';
import type { ActionOutcome } from './store-actions.ts';

/**
 * What every step of one look at a rollout shares (the state machine of research/canary.md
 * §4.1–4.2, split by step: rollout-preflight.ts, rollout-judging.ts, rollout-promote.ts,
 * rollout-halt.ts, rollout-freeze.ts, rollout-rollback.ts; rollout-tick.ts dispatches). Every
 * state change is a compare-and-set (rollout-store.ts); a store mutation is preceded by a commit
 * that records it as pending, and followed by one that records its outcome (`finish`), so a tick
 * that dies in between is finished by the next one, which re-reads `fetchStatus` first (§6.7).
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

export interface Look {
  env: TickEnv;
  rollout: Rollout;
  extension: Pick<ExtensionConfig, 'id' | 'name' | 'store'>;
  store: CwsClient | null;
  mode: 'live' | 'observe';
}

export interface RecordArgs {
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

export function drafts(
  look: Look,
  notice: Notice | null | undefined,
  key: string,
): NotificationDraft[] {
  if (notice === null || notice === undefined) return [];
  return look.env.channels.map((channel) => ({
    channel,
    dedupeKey: `rollout:${look.rollout.id}:tick:${look.env.tickAt}:${key}:${channel}`,
    title: notice.title,
    body: notice.body,
  }));
}

export async function record(look: Look, args: RecordArgs): Promise<CommitResult> {
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
export async function finish(
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

export function notice(
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

export function dashboardLine(look: Look): string[] {
  const store = look.extension.store;
  if (store === undefined) return [];
  return [`- act by hand: ${dashboardUrl(store.publisherId, store.itemId ?? look.extension.id)}`];
}

export const pct = (look: Look, index: number) => look.rollout.stages[index] ?? 100;

/** The largest configured stage at or below the store's percentage (0 = "not yet set"). */
export function stageIndexFor(stages: readonly number[], percentage: number): number {
  let index = 0;
  stages.forEach((p, i) => {
    if (p <= percentage) index = i;
  });
  return index;
}

export function errorResult(err: CanaryError) {
  return {
    error: err.code,
    upstreamStatus: err.upstreamStatus ?? null,
    body: err.internal ?? null,
  };
}

export function asCanaryError(err: unknown): CanaryError {
  if (err instanceof CanaryError) return err;
  throw err;
}

export const ALERTING: ReadonlySet<string> = new Set([
  'store_auth_expired',
  'store_forbidden',
  'store_credentials_invalid',
]);

/** A failed store read: hold without judging (no window is consumed), alert once per episode. */
export async function storeReadFailed(
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

export function outcome(look: Look, res: CommitResult, decision: DecisionKind): TickOutcome {
  return res.ok
    ? { rolloutId: look.rollout.id, decision, state: res.rollout.state }
    : { rolloutId: look.rollout.id, decision: 'lost_race', state: look.rollout.state };
}

export async function detach(
  look: Look,
  reason: string,
  view: StoreView | null,
): Promise<TickOutcome> {
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

export async function alertOnce(
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

export function storeUnavailable(look: Look, decision: DecisionKind): Promise<TickOutcome> {
  return alertOnce(
    look,
    'store_unavailable',
    decision,
    ['store_unavailable'],
    'alert: a live rollout but no store credentials; nothing will be done until they are restored',
  );
}

export interface Judged {
  judgeInput: JudgeInput;
  judgeOutput: JudgeOutput;
  reasons: string[];
  changes: RolloutChanges;
  stageIndex: number;
}

/**
 * The store shows the rollout changed outside Homeostat just before an action (a take-down, a
 * newer version, the canary gone): stop acting on it rather than fight the change.
 */
export function detachBefore(
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
