import { formatPath, INGEST_LIMITS } from '@homeostat/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { IngestError } from './ingest-error.ts';

/**
 * `sendBeacon` cannot send `application/json` without a CORS preflight, which beacons do not do,
 * so SDKs send beacons as `text/plain`; the body must still be JSON.
 */
const JSON_TYPES = new Set(['application/json', 'text/plain']);

/**
 * Reads a JSON body under the 256 KiB cap and validates it. The cap is enforced while reading, not
 * only from Content-Length, which a client may omit or understate (chunked bodies), so no more
 * than the cap is ever buffered and nothing is parsed before the size is known to be fine.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.has(type)) {
    throw new IngestError('unsupported_media_type', 'body must be application/json');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > INGEST_LIMITS.maxBodyBytes) throw tooLarge();
  const bytes = await readCapped(c.req.raw.body, INGEST_LIMITS.maxBodyBytes);
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

function tooLarge(): IngestError {
  return new IngestError('payload_too_large', `body exceeds ${INGEST_LIMITS.maxBodyBytes} bytes`);
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
