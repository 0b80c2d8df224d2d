import { z } from 'zod';
import type { Rollout } from '../rollout/rollout.schema.ts';

/** The admin API's JSON shapes: camelCase, parsed JSON columns, no lock tokens. */
export function rolloutView(r: Rollout) {
  const s = r.judge_state;
  return {
    id: r.id,
    extensionId: r.extension_id,
    version: r.version,
    baselineVersion: r.baseline_version,
    source: r.source,
    mode: r.mode,
    state: r.state,
    stage: {
      index: r.stage_index,
      percentage: r.stages[r.stage_index] ?? null,
      startedAt: r.stage_started_at,
    },
    stages: r.stages,
    rollbackPolicy: r.rollback_policy,
    onInconclusive: r.on_inconclusive,
    rollbackPreflight: r.rollback_preflight,
    rollbackVersion: r.rollback_version,
    pendingAction: r.pending_action,
    openAlert: r.open_alert,
    detail: r.detail,
    evidence:
      s === null
        ? null
        : {
            windows: s.windows,
            lastWindowStart: s.lastWindowStart,
            rollout: s.rollout,
            stage: s.stage,
          },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const parsedJson = z
  .string()
  .nullable()
  .transform((t): unknown => {
    if (t === null) return null;
    try {
      return JSON.parse(t);
    } catch {
      return null;
    }
  });

export const DecisionRowSchema = z.object({
  id: z.int(),
  tick_at: z.int(),
  mode: z.string(),
  state_before: z.string(),
  state_after: z.string(),
  stage_index: z.int(),
  decision: z.string(),
  reasons: parsedJson,
  judge_input: z.string().nullable(),
  judge_output: z.string().nullable(),
  action: z.string(),
  action_status: z.string(),
  action_result: parsedJson,
  created_at: z.int(),
  updated_at: z.int(),
});
type DecisionRow = z.output<typeof DecisionRowSchema>;

const StatsSchema = z.object({ stats: z.unknown() });

/** A decision in a history list: the judge's statistics, not its whole input. */
export function decisionSummary(d: DecisionRow) {
  let stats: unknown = null;
  if (d.judge_output !== null) {
    try {
      const parsed = StatsSchema.safeParse(JSON.parse(d.judge_output));
      stats = parsed.success ? parsed.data.stats : null;
    } catch {
      stats = null;
    }
  }
  return {
    id: d.id,
    tickAt: d.tick_at,
    mode: d.mode,
    decision: d.decision,
    reasons: d.reasons,
    stateBefore: d.state_before,
    stateAfter: d.state_after,
    stageIndex: d.stage_index,
    action: d.action,
    actionStatus: d.action_status,
    actionResult: d.action_result,
    stats,
    replayable: d.judge_input !== null,
    createdAt: d.created_at,
  };
}

/** One decision with the judge's exact input and output, for audit and replay. */
export function decisionDetail(d: DecisionRow) {
  return {
    ...decisionSummary(d),
    judgeInput: d.judge_input === null ? null : (JSON.parse(d.judge_input) as unknown),
    judgeOutput: d.judge_output === null ? null : (JSON.parse(d.judge_output) as unknown),
  };
}

export const NotificationRowSchema = z.object({
  id: z.int(),
  decision_id: z.int().nullable(),
  channel: z.string(),
  title: z.string(),
  status: z.string(),
  attempts: z.int(),
  last_error: z.string().nullable(),
  created_at: z.int(),
  updated_at: z.int(),
});

export function notificationView(n: z.output<typeof NotificationRowSchema>) {
  return {
    id: n.id,
    decisionId: n.decision_id,
    channel: n.channel,
    title: n.title,
    status: n.status,
    attempts: n.attempts,
    lastError: n.last_error,
    createdAt: n.created_at,
    updatedAt: n.updated_at,
  };
}
