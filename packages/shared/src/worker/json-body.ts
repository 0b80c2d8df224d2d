import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { parseJsonRequest, validate } from './json-request.ts';
import { RequestError } from './request-error.ts';

/**
 * The JSON body adapter every Worker uses (issue 11, section 5: ingest, triage and canary each
 * had a copy, with different codes for the same refusal). Refusals are `RequestError`s, the same
 * on every Worker: 413 `payload_too_large`, 415 `unsupported_media_type`, 400 `invalid_json`
 * (not UTF-8 JSON; ingest's public contract named it first), 400 `invalid_request` (valid JSON
 * the schema refuses, issues by path and code only: the body is never echoed).
 */

const JSON_ONLY: ReadonlySet<string> = new Set(['application/json']);

export interface JsonBodyOptions {
  /** Media types accepted as JSON; default `application/json` only. */
  mediaTypes?: ReadonlySet<string>;
}

/**
 * Caps a route's body before anything reads it: hono's `bodyLimit` rejects a large
 * Content-Length at once and counts a streamed body as it is read, so nothing larger than
 * `maxBytes` is buffered or parsed.
 */
export function bodyCap(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RequestError('payload_too_large', `the body exceeds ${maxBytes} bytes`);
    },
  });
}

/** Reads and validates a JSON body; the route must be behind `bodyCap`. */
export async function readJsonBody<S extends z.ZodType>(
  c: { req: { raw: Request } },
  schema: S,
  options: JsonBodyOptions = {},
): Promise<z.output<S>> {
  const result = await parseJsonRequest(c.req.raw, schema, options.mediaTypes ?? JSON_ONLY);
  if (result.ok) return result.data;
  switch (result.problem) {
    case 'unsupported_media_type':
      throw new RequestError('unsupported_media_type', 'body must be application/json');
    case 'invalid_json':
      throw new RequestError('invalid_json', 'body is not valid UTF-8 JSON', {
        issues: result.issues,
      });
    case 'invalid_request':
      throw new RequestError('invalid_request', 'request does not match the schema', {
        issues: result.issues,
      });
  }
}

/** Validates a query or path parameters the same way; `message` says which part was wrong. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  message: string,
): z.output<S> {
  const result = validate(schema, raw);
  if (result.ok) return result.data;
  throw new RequestError('invalid_request', message, { issues: result.issues });
}
