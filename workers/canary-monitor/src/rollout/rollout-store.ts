import type { JudgeState } from '../judge/judge.schema.ts';
import {
  ACTIVE_STATES,
  type ActionStatus,
  type DecisionKind,
  type PendingAction,
  type Rollout,
  type RolloutAction,
  RolloutRowSchema,
  type RolloutState,
} from './rollout.schema.ts';

/**
 * D1 access for rollouts, decisions and the notification outbox. Every change to a rollout is a
 * compare-and-set on `rev`; the decision and notification rows of the same change are written in
 * the same batch (one D1 transaction) and only if this writer's `lock_token` is the one on the
 * row, so a writer that lost the race leaves no trace (research/canary.md §4.1, §6.7).
 */

export interface RolloutChanges {
  state?: RolloutState;
  stage_index?: number;
  stage_started_at?: number | null;
  judge_state?: JudgeState | null;
  baseline_version?: string | null;
  rollback_preflight?: 'ok' | 'failed' | 'skipped' | null;
  rollback_version?: string | null;
  pending_action?: PendingAction | null;
  open_alert?: string | null;
  detail?: string | null;
}

export interface DecisionWrite {
  tickAt: number;
  mode: 'live' | 'observe';
  stateBefore: RolloutState;
  stateAfter: RolloutState;
  stageIndex: number;
  decision: DecisionKind;
  reasons: readonly string[];
  judgeInput?: string;
  judgeOutput?: string;
  action: RolloutAction;
  actionStatus: ActionStatus;
  actionResult?: unknown;
}

export interface DecisionUpdate {
  tickAt: number;
  stateAfter: RolloutState;
  actionStatus: ActionStatus;
  actionResult?: unknown;
}

export interface NotificationDraft {
  channel: 'github' | 'slack';
  /** Unique per notification: a repeated commit never queues the same message twice. */
  dedupeKey: string;
  title: string;
  body: string;
}

export interface CommitPlan {
  changes: RolloutChanges;
  decision?: DecisionWrite;
  decisionUpdate?: DecisionUpdate;
  notifications?: readonly NotificationDraft[];
}

export type CommitResult =
  | { ok: true; rollout: Rollout; decisionId: number | null }
  | { ok: false };

const JSON_COLUMNS = new Set(['judge_state', 'pending_action']);

export function parseRollout(row: unknown): Rollout {
  return RolloutRowSchema.parse(row);
}

export async function getRollout(db: D1Database, id: number): Promise<Rollout | null> {
  const row = await db.prepare('SELECT * FROM canary_rollouts WHERE id = ?1').bind(id).first();
  return row === null ? null : parseRollout(row);
}

/** Rollouts the cron still acts on (FROZEN and the final states wait for a human). */
export async function listWorkingRollouts(db: D1Database): Promise<Rollout[]> {
  const working = ACTIVE_STATES.filter((s) => s !== 'FROZEN');
  const { results } = await db
    .prepare(
      `SELECT * FROM canary_rollouts WHERE state IN (${working.map((_, i) => `?${i + 1}`).join(', ')})
       ORDER BY id`,
    )
    .bind(...working)
    .all();
  return results.map(parseRollout);
}

const lockGuard = 'EXISTS (SELECT 1 FROM canary_rollouts WHERE id = ?1 AND lock_token = ?2)';

/** Applies `plan` if the rollout is still at `rollout.rev`; otherwise changes nothing. */
export async function commitRollout(
  db: D1Database,
  rollout: Rollout,
  plan: CommitPlan,
  now: number,
): Promise<CommitResult> {
  const token = crypto.randomUUID();
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of Object.entries(plan.changes)) {
    if (value === undefined) continue;
    values.push(JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value);
    sets.push(`${column} = ?${values.length + 4}`);
  }
  const update = db
    .prepare(
      `UPDATE canary_rollouts SET rev = rev + 1, lock_token = ?3, updated_at = ?4${
        sets.length > 0 ? `, ${sets.join(', ')}` : ''
      } WHERE id = ?1 AND rev = ?2`,
    )
    .bind(rollout.id, rollout.rev, token, now, ...values);
  const statements: D1PreparedStatement[] = [update];

  const d = plan.decision;
  if (d !== undefined) {
    statements.push(
      db
        .prepare(
          `INSERT INTO canary_decisions (rollout_id, tick_at, mode, state_before, state_after,
             stage_index, decision, reasons, judge_input, judge_output, action, action_status,
             action_result, created_at, updated_at)
           SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15
           WHERE ${lockGuard}
           RETURNING id`,
        )
        .bind(
          rollout.id,
          token,
          d.tickAt,
          d.mode,
          d.stateBefore,
          d.stateAfter,
          d.stageIndex,
          d.decision,
          JSON.stringify(d.reasons),
          d.judgeInput ?? null,
          d.judgeOutput ?? null,
          d.action,
          d.actionStatus,
          d.actionResult === undefined ? null : JSON.stringify(d.actionResult),
          now,
        ),
    );
  }
  const u = plan.decisionUpdate;
  if (u !== undefined) {
    statements.push(
      db
        .prepare(
          `UPDATE canary_decisions SET state_after = ?4, action_status = ?5, action_result = ?6,
             updated_at = ?7
           WHERE rollout_id = ?1 AND tick_at = ?3 AND ${lockGuard}`,
        )
        .bind(
          rollout.id,
          token,
          u.tickAt,
          u.stateAfter,
          u.actionStatus,
          u.actionResult === undefined ? null : JSON.stringify(u.actionResult),
          now,
        ),
    );
  }
  const decisionTick = d?.tickAt ?? u?.tickAt ?? null;
  for (const n of plan.notifications ?? []) {
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO canary_notifications (rollout_id, decision_id, channel, dedupe_key,
             title, body, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT ?1, (SELECT id FROM canary_decisions WHERE rollout_id = ?1 AND tick_at = ?3),
             ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?8
           WHERE ${lockGuard}`,
        )
        .bind(rollout.id, token, decisionTick, n.channel, n.dedupeKey, n.title, n.body, now),
    );
  }

  let results: D1Result[];
  try {
    results = await db.batch(statements);
  } catch (err) {
    // The same tick already recorded a decision for this rollout: that writer won.
    if (err instanceof Error && /UNIQUE constraint failed: canary_decisions/.test(err.message)) {
      return { ok: false };
    }
    throw err;
  }
  if ((results[0]?.meta.changes ?? 0) !== 1) return { ok: false };
  const after = await getRollout(db, rollout.id);
  if (after === null) return { ok: false };
  const inserted = d === undefined ? undefined : results[1]?.results[0];
  const decisionId =
    inserted !== null &&
    typeof inserted === 'object' &&
    'id' in inserted &&
    typeof inserted.id === 'number'
      ? inserted.id
      : null;
  return { ok: true, rollout: after, decisionId };
}

export async function decisionIdAt(db: D1Database, rolloutId: number, tickAt: number) {
  const row = await db
    .prepare('SELECT id FROM canary_decisions WHERE rollout_id = ?1 AND tick_at = ?2')
    .bind(rolloutId, tickAt)
    .first<{ id: number }>();
  return row?.id ?? null;
}
