import { compareVersions } from '@homeostat/shared';
import type { CwsClient } from '../cws/cws-client.ts';
import { readStoreView, type StoreView } from '../cws/store-view.ts';

/**
 * Idempotent store actions (research/canary.md §4.2 step 7): each re-reads `fetchStatus` first
 * and calls the mutation only if the store is still in the expected state, so a tick that crashed
 * after the call, or a second tick racing the first, never acts twice.
 */
export type ActionOutcome =
  | { outcome: 'applied'; view: StoreView }
  | { outcome: 'already_applied'; view: StoreView }
  | {
      outcome: 'detached';
      reason: 'taken_down' | 'newer_version' | 'canary_gone';
      view: StoreView;
    };

function externalChange(view: StoreView): 'taken_down' | 'newer_version' | 'canary_gone' | null {
  if (view.takenDown) return 'taken_down';
  if (view.newerVersion !== null) return 'newer_version';
  if (view.canary === null) return 'canary_gone';
  return null;
}

/** Raises the canary's deploy percentage to `target` unless the store already has it there. */
export async function ensureDeployPercentage(
  client: CwsClient,
  version: string,
  target: number,
): Promise<ActionOutcome> {
  const view = readStoreView(await client.fetchStatus(), version);
  const change = externalChange(view);
  if (change !== null) return { outcome: 'detached', reason: change, view };
  // A reported 0 means "not yet set" (§1.3), which any stage percentage exceeds.
  if ((view.canary?.deployPercentage ?? 0) >= target) return { outcome: 'already_applied', view };
  await client.setPublishedDeployPercentage(target);
  return { outcome: 'applied', view };
}

export interface RollbackPlan {
  canaryVersion: string;
  targetCrxVersion: string;
  newVersion: string;
  rollbackReason: string;
}

/** Dry-runs the rollback when the rollout starts, so its path is known before it is needed (§1.6). */
export async function preflightRollback(client: CwsClient, plan: RollbackPlan): Promise<void> {
  await client.rollback({
    targetCrxVersion: plan.targetCrxVersion,
    newVersion: plan.newVersion,
    rollbackReason: plan.rollbackReason,
    validateOnly: true,
  });
}

/** Republishes the baseline package under `newVersion` unless that is already live. */
export async function ensureRolledBack(
  client: CwsClient,
  plan: RollbackPlan,
): Promise<ActionOutcome> {
  const view = readStoreView(await client.fetchStatus(), plan.canaryVersion);
  if (view.takenDown) return { outcome: 'detached', reason: 'taken_down', view };
  const top = view.channels[0];
  if (top !== undefined && compareVersions(top.crxVersion, plan.newVersion) === 0) {
    return { outcome: 'already_applied', view };
  }
  if (view.newerVersion !== null) return { outcome: 'detached', reason: 'newer_version', view };
  await client.rollback({
    targetCrxVersion: plan.targetCrxVersion,
    newVersion: plan.newVersion,
    rollbackReason: plan.rollbackReason,
    validateOnly: false,
  });
  return { outcome: 'applied', view };
}
