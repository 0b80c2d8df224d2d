import { z } from 'zod';
import { ExtensionIdSchema } from '../config/homeostat-config.schema.ts';

/**
 * Resolutions pushed from triage to ingest (issue 14, item 3), through ingest's RPC entrypoint
 * (`IngestRpc`, a service binding with `entrypoint = "IngestRpc"`). Triage writes the resolution to
 * D1's `fingerprint_resolutions` first — the durable record — and then tells ingest that the row
 * changed; the Fingerprint object reads the row itself. The push carries no resolution data, so
 * repeating it is harmless, and a lost push is caught by the object's hourly look at the row.
 */
export const ResolutionChangedSchema = z.strictObject({
  extensionId: ExtensionIdSchema,
  /** 'fp1:<32 hex>' from ingest; other origins use the same alphabet. */
  fingerprint: z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/),
});
export type ResolutionChanged = z.infer<typeof ResolutionChangedSchema>;

/** `invalid_request`: the input is not a fingerprint key (a caller's bug; not retried). */
export type ResolutionChangedResult = { status: 'ok' } | { status: 'invalid_request' };

/** The part of `IngestRpc` that triage calls when a resolution changes. */
export interface IngestResolutionContract {
  /**
   * Throws only when ingest cannot be reached; triage logs it and the D1 row stays the record,
   * which ingest reads again within the hour.
   */
  resolutionChanged(input: ResolutionChanged): Promise<ResolutionChangedResult>;
}
