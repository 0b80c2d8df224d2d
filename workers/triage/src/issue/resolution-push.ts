import { env } from 'cloudflare:workers';
import type { IngestResolutionContract, ResolutionChanged } from '@homeostat/shared';
import { errorCode } from '../errors.ts';

/**
 * Tells ingest that a fingerprint's resolution changed (issue 14, item 3: pushed, not polled),
 * right after its `fingerprint_resolutions` row — the durable record — is written. The push
 * carries no resolution: ingest's Fingerprint object reads the row itself, so a repeated push is
 * harmless, and when ingest cannot be reached the object still reads the row within the hour.
 *
 * The binding is taken from the runtime's `env` rather than from each caller's dependencies:
 * resolutions are written by the webhook handlers, the issue sync and the release resolver, each
 * with its own dependency bag, and the push belongs to the write, wherever it happens.
 */
export async function pushResolution(key: ResolutionChanged): Promise<void> {
  const ingest = (env as Partial<Env>).INGEST as unknown as IngestResolutionContract | undefined;
  if (ingest === undefined) return;
  try {
    const result = await ingest.resolutionChanged(key);
    if (result.status !== 'ok') console.warn('triage: resolution push refused', result.status);
  } catch (err) {
    console.warn(
      'triage: resolution push failed; ingest reads the row within the hour',
      errorCode(err),
    );
  }
}
