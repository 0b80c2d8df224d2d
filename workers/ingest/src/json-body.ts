import { parseJsonRequest } from '@homeostat/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { IngestError } from './ingest-error.ts';

/**
 * `sendBeacon` cannot send `application/json` without a CORS preflight, which beacons do not do,
 * so SDKs send beacons as `text/plain`; the body must still be JSON.
 */
const JSON_TYPES = new Set(['application/json', 'text/plain']);

/**
 * Parses and validates a JSON body. The 256 KiB cap is enforced before this runs, by hono's
 * `bodyLimit` on every /v1 route (app.ts): it rejects a large Content-Length at once and counts a
 * streamed body as it is read, so nothing larger than the cap is buffered or parsed.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  const result = await parseJsonRequest(c.req.raw, schema, JSON_TYPES);
  if (result.ok) return result.data;
  switch (result.problem) {
    case 'unsupported_media_type':
      throw new IngestError('unsupported_media_type', 'body must be application/json');
    case 'invalid_json':
      throw new IngestError('invalid_json', 'body is not valid UTF-8 JSON');
    case 'invalid_request':
      throw new IngestError('invalid_request', 'request does not match the schema', {
        issues: result.issues,
      });
  }
}
