import { z } from 'zod';
import {
  CountColumn,
  EpochMsColumn,
  ExtensionIdColumn,
  FingerprintColumn,
  SurfaceColumn,
  VersionColumn,
} from './fingerprints.schema.ts';
import { defineTable } from './read-model-table.ts';

/** `fingerprint_versions`: counts per fingerprint, extension version and surface. */
export const fingerprintVersionsTable = defineTable({
  name: 'fingerprint_versions',
  row: z.object({
    extension_id: ExtensionIdColumn,
    fingerprint: FingerprintColumn,
    version: VersionColumn,
    surface: SurfaceColumn,
    events: CountColumn,
    /** Distinct sessions, exact up to 100 (the Fingerprint object's bound). */
    sessions: CountColumn,
    first_seen: EpochMsColumn,
    last_seen: EpochMsColumn,
  }),
  key: ['extension_id', 'fingerprint', 'version', 'surface'],
  defaults: ['sessions'],
});
export const FingerprintVersionsRowSchema = fingerprintVersionsTable.row;
export type FingerprintVersionsRow = z.infer<typeof FingerprintVersionsRowSchema>;
