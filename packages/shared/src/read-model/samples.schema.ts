import { z } from 'zod';
import {
  EpochMsColumn,
  ExtensionIdColumn,
  FingerprintColumn,
  SurfaceColumn,
  VersionColumn,
} from './fingerprints.schema.ts';
import { defineTable } from './read-model-table.ts';

/** `samples`: a few scrubbed events per fingerprint, kept by the Fingerprint object's bound. */
export const samplesTable = defineTable({
  name: 'samples',
  row: z.object({
    extension_id: ExtensionIdColumn,
    event_id: z.string().min(1).max(128),
    fingerprint: FingerprintColumn,
    version: VersionColumn,
    surface: SurfaceColumn,
    occurred_at: EpochMsColumn,
    received_at: EpochMsColumn,
    /** The scrubbed event as JSON in the wire shape: readers parse it with IngestEventSchema. */
    event: z.string(),
  }),
  key: ['extension_id', 'event_id'],
});
export const SamplesRowSchema = samplesTable.row;
export type SamplesRow = z.infer<typeof SamplesRowSchema>;
