import { z } from 'zod';
import {
  EpochMsColumn,
  ExtensionIdColumn,
  FingerprintColumn,
  VersionColumn,
} from './fingerprints.schema.ts';
import { defineTable } from './read-model-table.ts';

export const TransitionKindSchema = z.enum(['new', 'regression', 'threshold']);
export type TransitionKind = z.infer<typeof TransitionKindSchema>;

/** `fingerprint_transitions`: each transition the Fingerprint object decided and announced. */
export const fingerprintTransitionsTable = defineTable({
  name: 'fingerprint_transitions',
  row: z.object({
    extension_id: ExtensionIdColumn,
    fingerprint: FingerprintColumn,
    kind: TransitionKindSchema,
    version: VersionColumn,
    at: EpochMsColumn,
  }),
  key: ['extension_id', 'fingerprint', 'kind', 'at'],
});
export const FingerprintTransitionsRowSchema = fingerprintTransitionsTable.row;
export type FingerprintTransitionsRow = z.infer<typeof FingerprintTransitionsRowSchema>;
