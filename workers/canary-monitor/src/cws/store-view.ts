import { compareVersions, isVersion } from '@homeostat/shared';
import type { DistributionChannel, FetchItemStatusResponse, ItemState } from './cws.schema.ts';

/**
 * What a `fetchStatus` answer means for one rollout. Every distribution channel is read (several
 * partial versions can be live at once, research/canary.md §1.3); the baseline is the highest
 * live version below the canary, normally the one still at 100%.
 */
export interface StoreView {
  /** Published channels with a valid version, highest version first. */
  channels: DistributionChannel[];
  canary: DistributionChannel | null;
  baseline: DistributionChannel | null;
  /** The highest live or submitted version above the canary: someone published past us. */
  newerVersion: string | null;
  submitted: { state: ItemState; crxVersion: string | null } | null;
  takenDown: boolean;
  warned: boolean;
}

export function readStoreView(status: FetchItemStatusResponse, canaryVersion: string): StoreView {
  const channels = (status.publishedItemRevisionStatus?.distributionChannels ?? [])
    .filter((c) => isVersion(c.crxVersion))
    .sort((a, b) => compareVersions(b.crxVersion, a.crxVersion));
  const canary = channels.find((c) => compareVersions(c.crxVersion, canaryVersion) === 0) ?? null;
  const baseline = channels.find((c) => compareVersions(c.crxVersion, canaryVersion) < 0) ?? null;
  const sub = status.submittedItemRevisionStatus;
  const submittedVersion = sub?.distributionChannels[0]?.crxVersion ?? null;
  const active = sub?.state === 'PENDING_REVIEW' || sub?.state === 'STAGED';
  const candidates = [
    ...channels.map((c) => c.crxVersion),
    ...(active && submittedVersion !== null && isVersion(submittedVersion)
      ? [submittedVersion]
      : []),
  ].filter((v) => compareVersions(v, canaryVersion) > 0);
  candidates.sort((a, b) => compareVersions(b, a));
  return {
    channels,
    canary,
    baseline,
    newerVersion: candidates[0] ?? null,
    submitted: sub === undefined ? null : { state: sub.state, crxVersion: submittedVersion },
    takenDown: status.takenDown,
    warned: status.warned,
  };
}

/** The highest published version (rollback's `newVersion` must exceed it). */
export function highestLiveVersion(view: StoreView): string | null {
  return view.channels[0]?.crxVersion ?? null;
}
