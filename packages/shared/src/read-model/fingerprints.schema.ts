import { z } from 'zod';
import { defineTable } from './read-model-table.ts';

/** Shared column types of the ingest tables (D1-schema.sql, "ingest (issue 3)"). */
export const ExtensionIdColumn = z.string().min(1).max(64);
/** 'fp1:<32 hex>' from ingest; the pattern also admits ids of other origins (Sentry doors). */
export const FingerprintColumn = z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/);
export const CountColumn = z.int().min(0);
/** Epoch milliseconds. */
export const EpochMsColumn = z.int();
/**
 * Extension versions and surfaces are plain strings here: the Workers deploy one at a time, so a
 * reader must still parse a row that a newer ingest wrote; readers narrow them where they use them
 * (`isVersion`, `SurfaceSchema`).
 */
export const VersionColumn = z.string().min(1).max(64);
export const SurfaceColumn = z.string().min(1).max(32);

export const FingerprintStateSchema = z.enum(['pending', 'open', 'fixed', 'regressed']);
export type FingerprintState = z.infer<typeof FingerprintStateSchema>;

/** `fingerprints`: one row per distinct problem, written by the Fingerprint Durable Object. */
export const fingerprintsTable = defineTable({
  name: 'fingerprints',
  row: z.object({
    extension_id: ExtensionIdColumn,
    fingerprint: FingerprintColumn,
    error_type: z.string(),
    title: z.string(),
    culprit: z.string().nullable(),
    events: CountColumn,
    installs: CountColumn,
    installs_approximate: z.union([z.literal(0), z.literal(1)]),
    first_seen: EpochMsColumn,
    last_seen: EpochMsColumn,
    first_version: VersionColumn,
    last_version: VersionColumn,
    state: FingerprintStateSchema,
    fixed_in_version: VersionColumn.nullable(),
    /** JSON events per UTC day (issue 12); parsed by its reader. */
    daily_events: z.string().nullable(),
    flushed_at: EpochMsColumn,
  }),
  key: ['extension_id', 'fingerprint'],
  defaults: ['installs_approximate', 'daily_events'],
});
export const FingerprintsRowSchema = fingerprintsTable.row;
export type FingerprintsRow = z.infer<typeof FingerprintsRowSchema>;
