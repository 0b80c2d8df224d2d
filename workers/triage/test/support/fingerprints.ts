import type { IngestEventInput, Surface } from '@homeostat/shared';

/**
 * Writes a fingerprint into the ingest tables the way the ingest Worker does (D1-schema.sql,
 * "ingest (issue 3)"), so triage tests do not depend on the ingest Worker.
 */
export interface SeedFingerprint {
  extensionId: string;
  fingerprint: string;
  type?: string;
  message?: string;
  stack?: string;
  culprit?: string | null;
  events?: number;
  installs?: number;
  state?: 'pending' | 'open' | 'fixed' | 'regressed';
  fixedInVersion?: string | null;
  versions?: { version: string; surface: Surface; events: number }[];
  breadcrumbs?: IngestEventInput['breadcrumbs'];
  firstSeen?: number;
  lastSeen?: number;
}

export async function seedFingerprint(db: D1Database, fp: SeedFingerprint): Promise<void> {
  const type = fp.type ?? 'TypeError';
  const message = fp.message ?? "Cannot read properties of undefined (reading 'id')";
  const versions = fp.versions ?? [{ version: '1.2.0', surface: 'popup', events: fp.events ?? 3 }];
  const first = fp.firstSeen ?? Date.parse('2026-11-20T08:00:00.000Z');
  const last = fp.lastSeen ?? Date.parse('2026-11-21T09:00:00.000Z');
  const sorted = versions.map((v) => v.version).sort();
  const event: IngestEventInput = {
    eventId: `evt_${fp.fingerprint.replace(/[^A-Za-z0-9]/g, '').slice(-12)}`,
    timestamp: last,
    surface: versions[0]?.surface ?? 'unknown',
    error: {
      type,
      message,
      stack:
        fp.stack ??
        `${type}: ${message}\n    at render (chrome-extension://${fp.extensionId}/src/popup.js:10:5)\n    at JSON.parse (<anonymous>)`,
    },
    ...(fp.breadcrumbs === undefined ? {} : { breadcrumbs: fp.breadcrumbs }),
  };
  await db.batch([
    db
      .prepare(
        `INSERT INTO fingerprints (extension_id, fingerprint, error_type, title, culprit, events,
           installs, installs_approximate, first_seen, last_seen, first_version, last_version,
           state, fixed_in_version, flushed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10, ?11, ?12, ?13, ?9)
         ON CONFLICT (extension_id, fingerprint) DO UPDATE SET events = excluded.events,
           installs = excluded.installs, last_seen = excluded.last_seen,
           last_version = excluded.last_version, state = excluded.state,
           fixed_in_version = excluded.fixed_in_version, flushed_at = excluded.flushed_at`,
      )
      .bind(
        fp.extensionId,
        fp.fingerprint,
        type,
        `${type}: ${message.split('\n')[0]}`,
        fp.culprit === undefined ? 'render (src/popup.js)' : fp.culprit,
        fp.events ?? versions.reduce((n, v) => n + v.events, 0),
        fp.installs ?? 2,
        first,
        last,
        sorted[0] ?? '1.0.0',
        sorted.at(-1) ?? '1.0.0',
        fp.state ?? 'open',
        fp.fixedInVersion ?? null,
      ),
    ...versions.map((v) =>
      db
        .prepare(
          `INSERT INTO fingerprint_versions (extension_id, fingerprint, version, surface, events,
             first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
           ON CONFLICT (extension_id, fingerprint, version, surface) DO UPDATE SET
             events = excluded.events, last_seen = excluded.last_seen`,
        )
        .bind(fp.extensionId, fp.fingerprint, v.version, v.surface, v.events, first, last),
    ),
    db
      .prepare(
        `INSERT INTO samples (extension_id, event_id, fingerprint, version, surface, occurred_at,
           received_at, event) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
         ON CONFLICT (extension_id, event_id) DO UPDATE SET event = excluded.event`,
      )
      .bind(
        fp.extensionId,
        event.eventId,
        fp.fingerprint,
        sorted.at(-1) ?? '1.0.0',
        event.surface,
        last,
        JSON.stringify(event),
      ),
  ]);
}

export async function recordRegression(
  db: D1Database,
  extensionId: string,
  fingerprint: string,
  version: string,
  at: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO fingerprint_transitions (extension_id, fingerprint, kind, version, at)
       VALUES (?1, ?2, 'regression', ?3, ?4)`,
    )
    .bind(extensionId, fingerprint, version, at)
    .run();
}

let counter = 0;
/** A fresh, valid fingerprint id per call: D1 state is shared by the tests of a file. */
export function freshFingerprint(): string {
  counter++;
  const random = [...crypto.getRandomValues(new Uint8Array(12))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  return `fp1:${counter.toString(16).padStart(8, '0')}${random}`;
}
