import { WorkerEntrypoint } from 'cloudflare:workers';
import {
  bundledConfig,
  type EventStatus,
  formatPath,
  type HomeostatConfig,
  type ImportBatchResult,
  ImportBatchSchema,
  type ResolutionChangedResult,
} from '@homeostat/shared';
import { IngestError } from './ingest-error.ts';
import { ingestEvents } from './ingest-pipeline.ts';
import { resolutionChanged } from './resolution-sync.ts';

/**
 * Ingest's RPC surface for the other Workers (a service binding with `entrypoint = "IngestRpc"`),
 * used by triage's Sentry importer (issue 13, item 2) and its resolution push (issue 14, item 3).
 * A service binding rather than an HTTP
 * route: it is reachable only from Workers of the same account that declare it, so ingest — the
 * one Worker exposed to the internet, holding no secrets (docs/architecture.md#trust-boundaries) —
 * needs no shared token to tell triage from the public, and the call costs no extra request.
 */
export class IngestRpc extends WorkerEntrypoint<Env> {
  /** See `ingestImported`. */
  async ingestImported(batch: unknown): Promise<ImportBatchResult> {
    return ingestImported(this.env, bundledConfig(), batch);
  }

  /** Triage changed a fingerprint's resolution in D1 (resolution-sync.ts). */
  async resolutionChanged(input: unknown): Promise<ResolutionChangedResult> {
    return resolutionChanged(this.env, input);
  }
}

/**
 * Feeds imported events into the one pipeline (`ingestEvents`), one call per install, version
 * and client address, as a direct request would have been. Rate limits and dedupe apply as for
 * `/v1/events`: a `rate_limited` event may be sent again after `retryAfterSeconds`, and an event
 * already recorded comes back `duplicate`. `unavailable` means the batch must be sent again
 * (whatever part was recorded then answers `duplicate`).
 */
export async function ingestImported(
  env: Env,
  config: HomeostatConfig,
  raw: unknown,
): Promise<ImportBatchResult> {
  const parsed = ImportBatchSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      status: 'invalid_request',
      issues: parsed.error.issues
        .slice(0, 50)
        .map((i) => ({ path: formatPath(i.path), code: i.code })),
    };
  }
  const batch = parsed.data;
  const extension = config.extensions.find((e) => e.id === batch.extensionId);
  if (extension === undefined) return { status: 'unknown_extension' };

  const groups = new Map<string, number[]>();
  batch.events.forEach((item, index) => {
    const key = JSON.stringify([item.installId, item.version, item.clientAddress]);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const statuses: EventStatus[] = batch.events.map(() => 'rate_limited');
  const fingerprints: (string | null)[] = batch.events.map(() => null);
  let retryAfterSeconds = 0;
  for (const indexes of groups.values()) {
    const first = batch.events[indexes[0] ?? 0];
    if (first === undefined) continue;
    try {
      const outcome = await ingestEvents(env, {
        extension,
        installId: first.installId,
        version: first.version,
        clientAddress: first.clientAddress,
        events: indexes.map((i) => batch.events[i]?.event).filter((e) => e !== undefined),
      });
      indexes.forEach((eventIndex, i) => {
        statuses[eventIndex] = outcome.statuses[i] ?? 'rate_limited';
        fingerprints[eventIndex] = outcome.fingerprints[i] ?? null;
      });
      if (outcome.admitted < indexes.length) {
        retryAfterSeconds = Math.max(retryAfterSeconds, outcome.retryAfterSeconds);
      }
    } catch (err) {
      if (!(err instanceof IngestError)) throw err;
      if (err.code === 'rate_limited') {
        retryAfterSeconds = Math.max(retryAfterSeconds, err.retryAfterSeconds ?? 60);
        continue;
      }
      if (err.code === 'unavailable') {
        return { status: 'unavailable', retryAfterSeconds: err.retryAfterSeconds ?? 5 };
      }
      throw err;
    }
  }
  return {
    status: 'ok',
    results: batch.events.map((item, i) => ({
      eventId: item.event.eventId,
      status: statuses[i] ?? 'rate_limited',
      fingerprint: fingerprints[i] ?? null,
    })),
    retryAfterSeconds,
  };
}
