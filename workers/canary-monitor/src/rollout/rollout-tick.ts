import type { CanaryError } from '../canary-error.ts';
import type { CwsClient } from '../cws/cws-client.ts';
import type { PendingAction, Rollout } from './rollout.schema.ts';
import { judgeLook } from './rollout-judging.ts';
import {
  asCanaryError,
  detach,
  type Look,
  outcome,
  record,
  storeReadFailed,
  storeUnavailable,
  type TickEnv,
  type TickOutcome,
} from './rollout-look.ts';
import { preflight } from './rollout-preflight.ts';
import { executePromote } from './rollout-promote.ts';
import { executeRollback } from './rollout-rollback.ts';
import { decisionIdAt } from './rollout-store.ts';

export type { TickEnv, TickOutcome } from './rollout-look.ts';

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

/**
 * One look at one rollout per cron tick: the state machine of research/canary.md §4.1–4.2,
 * PREFLIGHT → STAGE(i) → COMPLETE / INCONCLUSIVE / FROZEN → ROLLING_BACK → ROLLED_BACK /
 * DETACHED. This file dispatches; each step has its own module (see rollout-look.ts). A store
 * action left pending by a tick that died is resumed first.
 */
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
