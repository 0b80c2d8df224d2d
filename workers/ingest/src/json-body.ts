import { readJsonBody as readSharedJsonBody } from '@homeostat/shared';
import type { Context } from 'hono';
import type { z } from 'zod';

/**
 * `sendBeacon` cannot send `application/json` without a CORS preflight, which beacons do not do,
 * so SDKs send beacons as `text/plain`; the body must still be JSON.
 */
const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'text/plain']);

/**
 * Parses and validates a JSON body with the adapter every Worker shares (issue 11, section 5):
 * 415, 400 `invalid_json`, 400 `invalid_request` by path and code, never echoing the body. The
 * 256 KiB cap is enforced before this runs, by hono's `bodyLimit` on every /v1 route (app.ts).
 */
export function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return readSharedJsonBody(c, schema, { mediaTypes: JSON_TYPES });
}
