import { z } from 'zod';
import {
  EpochMsColumn,
  ExtensionIdColumn,
  FingerprintColumn,
  VersionColumn,
} from './fingerprints.schema.ts';
import { defineTable } from './read-model-table.ts';

/**
 * `fingerprint_resolutions`: the one ingest table triage writes (a problem resolved: issue closed,
 * fix merged, fixed in a release) and ingest's Fingerprint object consumes.
 */
export const fingerprintResolutionsTable = defineTable({
  name: 'fingerprint_resolutions',
  row: z.object({
    extension_id: ExtensionIdColumn,
    fingerprint: FingerprintColumn,
    resolved_at: EpochMsColumn,
    /** null: the highest version seen when ingest learns of it. */
    fixed_in_version: VersionColumn.nullable(),
    /** e.g. 'issue_closed', 'pr_merged', 'fixed_in_release'. */
    source: z.string().min(1).max(64),
  }),
  key: ['extension_id', 'fingerprint'],
  defaults: ['fixed_in_version'],
});
export const FingerprintResolutionsRowSchema = fingerprintResolutionsTable.row;
export type FingerprintResolutionsRow = z.infer<typeof FingerprintResolutionsRowSchema>;
