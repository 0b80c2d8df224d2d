import { parseJsonRequest, validate } from '@homeostat/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { CanaryError } from '../canary-error.ts';

/** Admin request bodies are a few fields; 16 KiB is generous and bounds what is ever buffered. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/**
 * Reads a JSON body and validates it. The size cap is hono's `bodyLimit` on the admin routes
 * (rollouts.route.ts), enforced before this reads anything. Validation errors list paths and
 * codes only: the input is never echoed.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  const result = await parseJsonRequest(c.req.raw, schema);
  if (result.ok) return result.data;
  if (result.problem === 'unsupported_media_type') {
    throw new CanaryError('unsupported_media_type', 'body must be application/json');
  }
  throw new CanaryError(
    'invalid_request',
    result.problem === 'invalid_json'
      ? 'body is not valid UTF-8 JSON'
      : 'request body does not match the schema',
    { issues: result.issues },
  );
}

export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  message: string,
): z.output<S> {
  const result = validate(schema, raw);
  if (result.ok) return result.data;
  throw new CanaryError('invalid_request', message, { issues: result.issues });
}
