import {
  computeFingerprint,
  type EventStatus,
  type ExtensionConfig,
  type IngestEvent,
  scrubEvent,
} from '@homeostat/shared';
import { takeExtensionBudget } from './extension-lease.ts';
import type { RecordInput } from './fingerprint.do.ts';
import { IngestError } from './ingest-error.ts';
import { flushIntervalMs } from './ingest-settings.ts';
import { hashInstall } from './install-hash.ts';
import { takeInstallBurst } from './install-limit.ts';
import { networkPrefix } from './network-prefix.ts';

interface Grouped {
  input: RecordInput;
  /** Index in the request of each event of the group, in order. */
  indexes: number[];
}

/** One batch of already-validated events from one install of one extension version. */
export interface IngestBatch {
  extension: ExtensionConfig;
  installId: string;
  version: string;
  events: readonly IngestEvent[];
  /**
   * The client's address as Cloudflare saw it (`CF-Connecting-IP`), or null when unknown. Only
   * a salted hash of its network prefix is ever kept (issue 11, item 2: "new" must need more
   * than client-chosen install ids); the address itself is never stored or logged.
   */
  clientAddress: string | null;
}

export interface IngestOutcome {
  /** Per event, in order: what became of it. */
  statuses: EventStatus[];
  /** Per event, in order: the server-computed fingerprint, or null when it was not admitted. */
  fingerprints: (string | null)[];
  /** Events admitted (the rest are `rate_limited`). */
  admitted: number;
  /** Set when some events were not admitted: when the client may try again. */
  retryAfterSeconds: number;
}

/**
 * The one event pipeline every ingest door feeds (`/v1/events`, Sentry envelopes, test-failure
 * reports): per batch, the install's burst limit from the Rate Limiting binding (no Durable Object
 * call, install-limit.ts), a leased share of the extension's budget (one call per lease, not per
 * request), then one Fingerprint call per distinct fingerprint — so about one Durable Object call
 * per event, and fewer for batches (issue 14, item 1). Events are scrubbed before anything else
 * sees them; any client-sent fingerprint is ignored and recomputed. Throws `IngestError`
 * (`rate_limited` when nothing was admitted, `unavailable` when a limiter or Durable Object could
 * not be reached).
 */
export async function ingestEvents(env: Env, batch: IngestBatch): Promise<IngestOutcome> {
  const { extension } = batch;
  const now = Date.now();
  const installHash = await hashInstall(extension.id, batch.installId);

  let burst: { granted: number; retryAfterSeconds: number };
  let budget: { granted: number; retryAfterSeconds: number };
  try {
    burst = await takeInstallBurst(env.INSTALL_LIMITER, {
      kind: 'events',
      installHash,
      count: batch.events.length,
      perMinute: extension.limits.perInstallPerMinute,
      now,
    });
    budget =
      burst.granted === 0
        ? { granted: 0, retryAfterSeconds: burst.retryAfterSeconds }
        : await takeExtensionBudget(env.RATE_LIMITER, extension, burst.granted, now);
  } catch {
    throw new IngestError('unavailable', 'rate limiter unavailable, retry later', {
      retryAfterSeconds: 5,
    });
  }
  const admitted = Math.min(burst.granted, budget.granted);
  const retryAfterSeconds = Math.max(burst.retryAfterSeconds, budget.retryAfterSeconds);
  if (admitted === 0) {
    throw new IngestError('rate_limited', 'rate limit exceeded', { retryAfterSeconds });
  }

  const network = networkPrefix(batch.clientAddress);
  const groups = new Map<string, Grouped>();
  const fingerprints: (string | null)[] = batch.events.map(() => null);
  for (const [index, raw] of batch.events.slice(0, admitted).entries()) {
    const event: IngestEvent = scrubEvent(raw);
    const fp = await computeFingerprint({
      type: event.error.type,
      message: event.error.message,
      stack: event.error.stack,
      surface: event.surface,
    });
    fingerprints[index] = fp.fingerprint;
    let group = groups.get(fp.fingerprint);
    if (group === undefined) {
      group = {
        indexes: [],
        input: {
          extensionId: extension.id,
          fingerprint: fp.fingerprint,
          errorType: event.error.type,
          title: fp.title,
          culprit: fp.culprit,
          installHash,
          network,
          version: batch.version,
          minInstalls: extension.limits.minInstalls,
          minNetworks: extension.limits.minNetworks,
          flushIntervalMs: flushIntervalMs(env),
          now,
          events: [],
        },
      };
      groups.set(fp.fingerprint, group);
    }
    group.indexes.push(index);
    group.input.events.push({
      eventId: event.eventId,
      surface: event.surface,
      occurredAt: event.timestamp,
      sessionId: event.sessionId ?? null,
      event: JSON.stringify({ ...event, fingerprint: fp.fingerprint }),
    });
  }

  const statuses: EventStatus[] = batch.events.map(() => 'rate_limited');
  try {
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const result = await env.FINGERPRINTS.getByName(
          `${extension.id}:${group.input.fingerprint}`,
        ).record(group.input);
        group.indexes.forEach((eventIndex, i) => {
          statuses[eventIndex] = result[i] ?? 'known';
        });
      }),
    );
  } catch {
    // Nothing was acknowledged: the SDK keeps the batch and retries; recorded events come back
    // as duplicates, so a partial failure is never counted twice.
    throw new IngestError('unavailable', 'storage unavailable, retry later', {
      retryAfterSeconds: 5,
    });
  }
  return { statuses, fingerprints, admitted, retryAfterSeconds };
}
