import type { RolloutState } from './rollout.schema.ts';
import {
  dashboardLine,
  type Judged,
  type Look,
  notice,
  outcome,
  record,
  type TickOutcome,
} from './rollout-look.ts';

/**
 * Freezing (research/canary.md §4.3): the percentage is not raised again and a human is paged;
 * users already updated keep the version. A halt freezes as FROZEN, an INCONCLUSIVE stage stays
 * INCONCLUSIVE. Also where a wanted rollback ends when it cannot be made (observe mode, a failed
 * rollback preflight, no baseline): the notice says what would have been done.
 */
export async function freeze(
  look: Look,
  j: Judged,
  rollback: boolean,
  decision: 'halt' | 'inconclusive',
  headline: string,
): Promise<TickOutcome> {
  const baseline = look.rollout.baseline_version;
  const out = j.judgeOutput;
  const frozenState: RolloutState = decision === 'halt' ? 'FROZEN' : 'INCONCLUSIVE';
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
