import { freeze } from './rollout-freeze.ts';
import {
  type Judged,
  type Look,
  notice,
  outcome,
  pct,
  record,
  type TickOutcome,
} from './rollout-look.ts';
import { startRollback } from './rollout-rollback.ts';

export function wantsRollback(look: Look, critical: boolean): boolean {
  const policy = look.rollout.rollback_policy;
  return policy === 'always' || (policy === 'critical' && critical);
}

/** Either critical guardrail makes a critical halt: the one `rollback: 'critical'` acts on. */
export async function halt(look: Look, j: Judged): Promise<TickOutcome> {
  const out = j.judgeOutput;
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

export async function inconclusive(look: Look, j: Judged): Promise<TickOutcome> {
  // Not rolled back when one install's reports may be what kept the stage from promoting
  // (issue 11 item 2: no single install can trigger an action): a human decides instead.
  const untrusted = j.judgeOutput.reasons.includes('single_install_may_block');
  const rollback =
    look.rollout.on_inconclusive === 'rollback' &&
    look.rollout.rollback_policy !== 'never' &&
    !untrusted;
  if (!rollback) {
    const res = await record(look, {
      ...j,
      decision: 'inconclusive',
      changes: { ...j.changes, state: 'INCONCLUSIVE' },
      notice: notice(
        look,
        `INCONCLUSIVE after ${(look.rollout.params.maxStageMinutes / 60).toFixed(0)} h at ${pct(look, j.stageIndex)}%: holding; a human decides${untrusted ? ' (one install alone may be what blocks promotion)' : ''}`,
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

/**
 * A halt or an INCONCLUSIVE stage (research/canary.md §4.2–4.3): decide between freezing
 * (rollout-freeze.ts) and rolling back (rollout-rollback.ts) by the rollout's policy.
 */
export async function freezeOrRollBack(
  look: Look,
  j: Judged,
  rollback: boolean,
  decision: 'halt' | 'inconclusive',
  headline: string,
): Promise<TickOutcome> {
  const { rollout } = look;
  const baseline = rollout.baseline_version;
  if (
    !rollback ||
    look.mode === 'observe' ||
    rollout.rollback_preflight === 'failed' ||
    baseline === null
  ) {
    return freeze(look, j, rollback, decision, headline);
  }
  return startRollback(look, j, baseline, decision, headline);
}
