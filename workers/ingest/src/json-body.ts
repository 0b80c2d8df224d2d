import { formatPath } from '@homeostat/shared';
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
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.has(type)) {
    throw new IngestError('unsupported_media_type', 'body must be application/json');
  }
  const bytes = await c.req.arrayBuffer();
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new IngestError('invalid_json', 'body is not valid UTF-8 JSON');
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new IngestError('invalid_request', 'request does not match the schema', {
      issues: result.error.issues.slice(0, 50).map((i) => ({
        path: formatPath(i.path),
        code: i.code,
      })),
    });
  }
  return result.data;
}
