export * from './fingerprint-resolutions.schema.ts';
export * from './fingerprint-transitions.schema.ts';
export * from './fingerprint-versions.schema.ts';
export * from './fingerprints.schema.ts';
export * from './read-model-table.ts';
export * from './release-health.schema.ts';
export * from './samples.schema.ts';

import { fingerprintResolutionsTable } from './fingerprint-resolutions.schema.ts';
import { fingerprintTransitionsTable } from './fingerprint-transitions.schema.ts';
import { fingerprintVersionsTable } from './fingerprint-versions.schema.ts';
import { fingerprintsTable } from './fingerprints.schema.ts';
import { releaseHealthTable } from './release-health.schema.ts';
import { samplesTable } from './samples.schema.ts';

/** Every table of the ingest read model (D1-schema.sql, "ingest (issue 3)"). */
export const READ_MODEL_TABLES = [
  fingerprintsTable,
  fingerprintVersionsTable,
  samplesTable,
  fingerprintTransitionsTable,
  fingerprintResolutionsTable,
  releaseHealthTable,
] as const;
