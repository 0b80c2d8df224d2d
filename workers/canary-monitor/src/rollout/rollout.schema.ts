import { z } from 'zod';
import { JudgeParamsSchema, JudgeStateSchema } from '../judge/judge.schema.ts';

/**
 * The rollout state machine (research/canary.md §4.1):
 *
 *   PREFLIGHT → STAGE(i) ──promote──▶ STAGE(i+1) … ──▶ COMPLETE
 *                 │ ├─ hold: stays (HOLD is a decision, not a state)
 *                 │ ├─ INCONCLUSIVE (stage older than the maximum; still judged) → hold | rollback
 *                 │ └─ halt → FROZEN ──(rollback policy)──▶ ROLLING_BACK → ROLLED_BACK
 *                 └─ external change (newer version, take-down, canary gone) → DETACHED
 *
 * "Halt" means freeze: the store cannot lower a percentage (§1.5).
 */
export const ROLLOUT_STATES = [
  'PREFLIGHT',
  'STAGE',
  'INCONCLUSIVE',
  'FROZEN',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'COMPLETE',
  'DETACHED',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** States the cron still looks at; the rest are final until a human acts. */
export const ACTIVE_STATES: readonly RolloutState[] = [
  'PREFLIGHT',
  'STAGE',
  'INCONCLUSIVE',
  'FROZEN',
  'ROLLING_BACK',
];

export const RollbackPlanSchema = z.strictObject({
  canaryVersion: z.string(),
  targetCrxVersion: z.string(),
  newVersion: z.string(),
  rollbackReason: z.string(),
});

/** A store call in flight, written before the call so a crashed tick is finished by the next. */
export const PendingActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('promote'), fromStage: z.int(), target: z.int() }),
  z.strictObject({
    kind: z.literal('rollback'),
    plan: RollbackPlanSchema,
    /** The tick of the halting decision, whose id goes into `rollbackReason` (§6.8). */
    decisionTickAt: z.int(),
  }),
]);
export type PendingAction = z.infer<typeof PendingActionSchema>;

const json = <S extends z.ZodType>(schema: S) =>
  z.string().transform((text, ctx): z.output<S> => {
    try {
      return schema.parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'invalid stored JSON' });
      return z.NEVER;
    }
  });

export const RolloutRowSchema = z.object({
  id: z.int(),
  extension_id: z.string(),
  version: z.string(),
  baseline_version: z.string().nullable(),
  source: z.enum(['api', 'discovered']),
  mode: z.enum(['live', 'observe']),
  state: z.enum(ROLLOUT_STATES),
  stage_index: z.int(),
  stage_started_at: z.int().nullable(),
  stages: json(z.array(z.int().min(0).max(100)).min(1)),
  params: json(JudgeParamsSchema),
  rollback_policy: z.enum(['never', 'critical', 'always']),
  on_inconclusive: z.enum(['hold', 'rollback']),
  judge_state: json(JudgeStateSchema).nullable(),
  windows_from: z.int(),
  rollback_preflight: z.enum(['ok', 'failed', 'skipped']).nullable(),
  rollback_version: z.string().nullable(),
  pending_action: json(PendingActionSchema).nullable(),
  open_alert: z.string().nullable(),
  detail: z.string().nullable(),
  rev: z.int(),
  created_at: z.int(),
  updated_at: z.int(),
});
export type Rollout = z.output<typeof RolloutRowSchema>;

export const ACTIONS = [
  'none',
  'promote',
  'rollback',
  'rollback_preflight',
  'complete',
  'freeze',
  'detach',
] as const;
export type RolloutAction = (typeof ACTIONS)[number];

export const ACTION_STATUSES = [
  'none',
  'pending',
  'applied',
  'already_applied',
  'observe',
  'failed',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Decisions of the judge plus the state machine's own events. */
export type DecisionKind =
  | 'promote'
  | 'hold'
  | 'halt'
  | 'inconclusive'
  | 'preflight'
  | 'resume'
  | 'detach'
  | 'alert';

/** Alerts that page a human; each is sent once per episode (`open_alert`). */
export type AlertCode =
  | 'data_gap'
  | 'inconclusive'
  | 'store_auth_expired'
  | 'store_forbidden'
  | 'store_unavailable'
  | 'store_not_eligible'
  | 'store_rejected'
  | 'rollback_unavailable'
  | 'rollback_failed'
  | 'no_baseline';
