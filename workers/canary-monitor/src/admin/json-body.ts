import { formatPath } from '@homeostat/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { CanaryError } from '../canary-error.ts';

/** Admin request bodies are a few fields; 16 KiB is generous and bounds what is ever buffered. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/**
 * Reads a JSON body under the cap and validates it. The cap is enforced while reading, not only
 * from Content-Length (which a client may omit), and nothing is parsed before the size is known.
 * Validation errors list paths and codes only: the input is never echoed.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json') {
    throw new CanaryError('unsupported_media_type', 'body must be application/json');
  }
  if (Number(c.req.header('content-length') ?? '0') > MAX_ADMIN_BODY_BYTES) throw tooLarge();
  const bytes = await readCapped(c.req.raw.body, MAX_ADMIN_BODY_BYTES);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new CanaryError('invalid_request', 'body is not valid UTF-8 JSON', {
      issues: [{ path: '(root)', code: 'invalid_json' }],
    });
  }
  return parseOrThrow(schema, raw, 'request body does not match the schema');
}

export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  message: string,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new CanaryError('invalid_request', message, {
      issues: result.error.issues
        .slice(0, 50)
        .map((i) => ({ path: formatPath(i.path), code: i.code })),
    });
  }
  return result.data;
}

function tooLarge(): CanaryError {
  return new CanaryError('payload_too_large', `body exceeds ${MAX_ADMIN_BODY_BYTES} bytes`);
}

async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  cap: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
