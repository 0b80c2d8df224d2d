import type { z } from 'zod';
import { formatPath } from '../zod-issues.ts';

export type JsonRequestProblem = 'unsupported_media_type' | 'invalid_json' | 'invalid_request';

export type JsonRequestResult<T> =
  | { ok: true; data: T }
  | { ok: false; problem: JsonRequestProblem; issues: { path: string; code: string }[] };

/** At most this many validation issues are reported: enough to fix a request, bounded in size. */
const MAX_ISSUES = 50;

/**
 * Checks a request body's media type, decodes it as strict UTF-8 JSON and validates it, returning
 * the outcome as a value so each Worker raises its own typed error. Issues carry paths and codes,
 * never values: the body is untrusted and may hold personal data. The body's size must already be
 * capped (hono's `bodyLimit` on the route) before this reads it.
 */
export async function parseJsonRequest<S extends z.ZodType>(
  request: Request,
  schema: S,
  mediaTypes: ReadonlySet<string> = new Set(['application/json']),
): Promise<JsonRequestResult<z.output<S>>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === undefined || !mediaTypes.has(type)) {
    return { ok: false, problem: 'unsupported_media_type', issues: [] };
  }
  let raw: unknown;
  try {
    const bytes = await request.arrayBuffer();
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return {
      ok: false,
      problem: 'invalid_json',
      issues: [{ path: '(root)', code: 'invalid_json' }],
    };
  }
  return validate(schema, raw);
}

/** Validates an already-parsed value (a query, a path parameter) the same way. */
export function validate<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): JsonRequestResult<z.output<S>> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problem: 'invalid_request',
    issues: result.error.issues
      .slice(0, MAX_ISSUES)
      .map((i) => ({ path: formatPath(i.path), code: i.code })),
  };
}
