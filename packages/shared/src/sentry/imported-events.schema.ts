import { z } from 'zod';
import { ExtensionIdSchema } from '../config/homeostat-config.schema.ts';
import {
  EventStatusSchema,
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
 * `unavailable`: nothing was acknowledged, send the batch again later. Validated by the caller,
 * as any answer crossing a boundary is.
 */
export const ImportBatchResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    results: z.array(
      z.object({
        eventId: z.string(),
        status: EventStatusSchema,
        fingerprint: z.string().nullable(),
      }),
    ),
    retryAfterSeconds: z.number().min(0),
  }),
  z.object({ status: z.literal('unknown_extension') }),
  z.object({
    status: z.literal('invalid_request'),
    issues: z.array(z.object({ path: z.string(), code: z.string() })),
  }),
  z.object({ status: z.literal('unavailable'), retryAfterSeconds: z.number().min(0) }),
]);
export type ImportBatchResult = z.infer<typeof ImportBatchResultSchema>;
