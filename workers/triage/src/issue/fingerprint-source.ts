import {
  type FingerprintState,
  FingerprintsRowSchema,
  FingerprintTransitionsRowSchema,
  FingerprintVersionsRowSchema,
  type IngestEvent,
  IngestEventSchema,
  SamplesRowSchema,
  type Surface,
  SurfaceSchema,
} from '@homeostat/shared';
import { z } from 'zod';

/**
 * Reads what ingest knows about a fingerprint from the ingest tables of D1-schema.sql
 * (`fingerprints`, `fingerprint_versions`, `samples`, `fingerprint_transitions`). The queue
 * message only names the fingerprint; everything shown in the issue comes from here. Rows are
 * parsed with the read model's schemas (packages/shared/src/read-model): another Worker writes
 * them.
 */

const VersionRowSchema = FingerprintVersionsRowSchema.pick({
  version: true,
  surface: true,
  events: true,
  first_seen: true,
  last_seen: true,
});
const SampleRowSchema = SamplesRowSchema.pick({ event: true, version: true });
const TransitionRowSchema = z.object({
  at: FingerprintTransitionsRowSchema.shape.at.nullable(),
});

export interface VersionCount {
  version: string;
  events: number;
  firstSeen: number;
  lastSeen: number;
}

export interface FingerprintReport {
  extensionId: string;
  fingerprint: string;
  errorType: string;
  title: string;
  culprit: string | null;
  events: number;
  installs: number;
  installsApproximate: boolean;
  firstSeen: number;
  lastSeen: number;
  firstVersion: string;
  lastVersion: string;
  state: FingerprintState;
  fixedInVersion: string | null;
  versions: VersionCount[];
  surfaces: Surface[];
  /** The most recent scrubbed sample, if one parses. */
  sample: IngestEvent | null;
  /** The extension version the sample came from: its frames belong to that build's source maps. */
  sampleVersion: string | null;
  /** When ingest last decided this fingerprint regressed (epoch ms), if ever. */
  lastRegressionAt: number | null;
}

export async function loadFingerprint(
  db: D1Database,
  extensionId: string,
  fingerprint: string,
): Promise<FingerprintReport | null> {
  const [fpRows, versionRows, sampleRows, transitionRows] = await db.batch([
    db
      .prepare('SELECT * FROM fingerprints WHERE extension_id = ?1 AND fingerprint = ?2')
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT version, surface, events, first_seen, last_seen FROM fingerprint_versions
         WHERE extension_id = ?1 AND fingerprint = ?2`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT event, version FROM samples WHERE extension_id = ?1 AND fingerprint = ?2
         ORDER BY received_at DESC LIMIT 5`,
      )
      .bind(extensionId, fingerprint),
    db
      .prepare(
        `SELECT max(at) AS at FROM fingerprint_transitions
         WHERE extension_id = ?1 AND fingerprint = ?2 AND kind = 'regression'`,
      )
      .bind(extensionId, fingerprint),
  ]);
  const row = fpRows?.results[0];
  if (row === undefined) return null;
  const fp = FingerprintsRowSchema.parse(row);

  const byVersion = new Map<string, VersionCount>();
  const surfaces = new Set<Surface>();
  for (const raw of versionRows?.results ?? []) {
    const v = VersionRowSchema.parse(raw);
    const surface = SurfaceSchema.safeParse(v.surface);
    if (surface.success) surfaces.add(surface.data);
    const prev = byVersion.get(v.version);
    byVersion.set(v.version, {
      version: v.version,
      events: (prev?.events ?? 0) + v.events,
      firstSeen: Math.min(prev?.firstSeen ?? v.first_seen, v.first_seen),
      lastSeen: Math.max(prev?.lastSeen ?? v.last_seen, v.last_seen),
    });
  }

  let sample: IngestEvent | null = null;
  let sampleVersion: string | null = null;
  for (const raw of sampleRows?.results ?? []) {
    try {
      const row = SampleRowSchema.parse(raw);
      const parsed = IngestEventSchema.safeParse(JSON.parse(row.event));
      if (parsed.success) {
        sample = parsed.data;
        sampleVersion = row.version;
        break;
      }
    } catch {
      // An unparseable sample is skipped; the issue is still filed from the aggregates.
    }
  }
  const transition = TransitionRowSchema.safeParse(transitionRows?.results[0]);

  return {
    extensionId: fp.extension_id,
    fingerprint: fp.fingerprint,
    errorType: fp.error_type,
    title: fp.title,
    culprit: fp.culprit,
    events: fp.events,
    installs: fp.installs,
    installsApproximate: fp.installs_approximate !== 0,
    firstSeen: fp.first_seen,
    lastSeen: fp.last_seen,
    firstVersion: fp.first_version,
    lastVersion: fp.last_version,
    state: fp.state,
    fixedInVersion: fp.fixed_in_version,
    versions: [...byVersion.values()].sort((a, b) => b.lastSeen - a.lastSeen),
    surfaces: [...surfaces].sort(),
    sample,
    sampleVersion,
    lastRegressionAt: transition.success ? transition.data.at : null,
  };
}
