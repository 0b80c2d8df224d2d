import { computeFingerprint, IngestEventSchema, scrubEvent } from '@homeostat/shared';
import type { FingerprintReport } from '../../../workers/triage/src/issue/fingerprint-source.ts';
import type { BenchBug } from '../fix-bench-runner.ts';

/**
 * The fingerprint a seeded bug becomes (issue 9 item 8: "post the real error"): the event as the
 * SDK sends it from the bug's surface and version, scrubbed and fingerprinted by the same shared
 * code ingest runs (workers/ingest/src/events.route.ts), in the shape triage reads back from D1
 * (workers/triage/src/issue/fingerprint-source.ts). A few installs over a day, so the numbers in
 * the evidence look like a problem worth fixing; the engine does not gate on them.
 */

const FIRST_SEEN = Date.parse('2026-11-20T08:00:00.000Z');
const LAST_SEEN = Date.parse('2026-11-21T09:00:00.000Z');

export async function benchReport(bug: BenchBug): Promise<FingerprintReport> {
  const event = scrubEvent(
    IngestEventSchema.parse({
      eventId: `evt_${bug.id.replaceAll('-', '_')}`.slice(0, 128),
      timestamp: LAST_SEEN,
      surface: bug.surface,
      error: { type: bug.error.type, message: bug.error.message, stack: bug.error.stack },
    }),
  );
  const fp = await computeFingerprint({
    type: event.error.type,
    message: event.error.message,
    stack: event.error.stack,
    surface: event.surface,
  });
  return {
    extensionId: bug.extensionId,
    fingerprint: fp.fingerprint,
    errorType: event.error.type,
    title: fp.title,
    culprit: fp.culprit,
    events: 42,
    installs: 9,
    installsApproximate: false,
    firstSeen: FIRST_SEEN,
    lastSeen: LAST_SEEN,
    firstVersion: bug.extensionVersion,
    lastVersion: bug.extensionVersion,
    state: 'open',
    fixedInVersion: null,
    versions: [
      { version: bug.extensionVersion, events: 42, firstSeen: FIRST_SEEN, lastSeen: LAST_SEEN },
    ],
    surfaces: [bug.surface],
    sample: event,
    sampleVersion: bug.extensionVersion,
    lastRegressionAt: null,
  };
}
