import { z } from 'zod';
import { ExtensionIdSchema } from '../config/homeostat-config.schema.ts';
import {
  type EventStatusSchema,
  ExtensionVersionSchema,
  INGEST_LIMITS,
  IngestEventSchema,
} from '../wire/ingest.schema.ts';

/**
 * The contract of ingest's `IngestRpc.ingestImported` (issue 13, item 2): events that an importer
 * in triage (Sentry's REST API today) converted, fed into the same pipeline as `/v1/events`. Each
 * carries its own install, version and client address, since one import spans many users and
 * releases. The binding is internal, yet the batch is validated on arrival like any other edge.
 */
export const ImportedEventSchema = z.object({
  installId: IngestEventSchema.shape.eventId,
  version: ExtensionVersionSchema,
  /** The client's address as the source saw it; ingest keeps only a hash of its prefix. */
  clientAddress: z.string().max(45).nullable(),
  event: IngestEventSchema,
});
export type ImportedEvent = z.input<typeof ImportedEventSchema>;

export const ImportBatchSchema = z.object({
  extensionId: ExtensionIdSchema,
  events: z.array(ImportedEventSchema).min(1).max(INGEST_LIMITS.maxEvents),
});
export type ImportBatch = z.input<typeof ImportBatchSchema>;

/**
 * `ok`: one result per event, in order (`rate_limited` ones may be sent again after
 * `retryAfterSeconds`). `unknown_extension` and `invalid_request` are final for this batch;
 * `unavailable`: nothing was acknowledged, send the batch again later.
 */
export type ImportBatchResult =
  | {
      status: 'ok';
      results: {
        eventId: string;
        status: z.infer<typeof EventStatusSchema>;
        fingerprint: string | null;
      }[];
      retryAfterSeconds: number;
    }
  | { status: 'unknown_extension' }
  | { status: 'invalid_request'; issues: { path: string; code: string }[] }
  | { status: 'unavailable'; retryAfterSeconds: number };
