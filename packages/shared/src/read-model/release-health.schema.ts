import { z } from 'zod';
import {
  CountColumn,
  EpochMsColumn,
  ExtensionIdColumn,
  VersionColumn,
} from './fingerprints.schema.ts';
import { defineTable } from './read-model-table.ts';

/**
 * `release_health`: per extension, version and 5-minute window, the counts canary-monitor judges
 * releases on. Sessions come from the ReleaseHealth object, error counts from the Fingerprint
 * objects; both add increments, so every count column has a default of 0.
 */
export const releaseHealthTable = defineTable({
  name: 'release_health',
  row: z.object({
    extension_id: ExtensionIdColumn,
    version: VersionColumn,
    /** Epoch ms, a multiple of 300,000. */
    window_start: EpochMsColumn,
    sessions: CountColumn,
    error_sessions: CountColumn,
    error_events: CountColumn,
    new_install_sessions: CountColumn,
    new_install_error_sessions: CountColumn,
    /** Distinct installs that counted sessions / error sessions in the window (issue 11). */
    installs: CountColumn,
    error_installs: CountColumn,
  }),
  key: ['extension_id', 'version', 'window_start'],
  defaults: [
    'sessions',
    'error_sessions',
    'error_events',
    'new_install_sessions',
    'new_install_error_sessions',
    'installs',
    'error_installs',
  ],
});
export const ReleaseHealthRowSchema = releaseHealthTable.row;
export type ReleaseHealthRow = z.infer<typeof ReleaseHealthRowSchema>;
