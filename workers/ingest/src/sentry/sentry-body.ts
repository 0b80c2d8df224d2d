import { SENTRY_LIMITS } from '@homeostat/shared';
import { IngestError } from '../ingest-error.ts';

/**
 * `Content-Encoding`s Sentry's SDKs use (the browser SDK sends none; server SDKs gzip) that the
 * Workers runtime can decode. HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2).
 */
const DECODERS: Record<string, 'gzip' | 'deflate' | null> = {
  '': null,
  identity: null,
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
};

class TooLarge extends Error {}

const tooLarge = () =>
  new IngestError('payload_too_large', `body exceeds ${SENTRY_LIMITS.maxBodyBytes} bytes`);

/** Passes bytes on until more than `limit` have gone through, then fails the stream. */
function counter(limit: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new TooLarge());
      else controller.enqueue(chunk);
    },
  });
}

/**
 * The request body, decompressed, at most `SENTRY_LIMITS.maxBodyBytes` of it (issue 13: "the
 * size cap applied after decompression"). Both the bytes received and the bytes they expand to
 * are counted as they stream, so a compression bomb costs at most the cap plus one chunk; a
 * `Content-Length` over the cap is refused before anything is read.
 */
export async function readSentryBody(request: Request): Promise<Uint8Array> {
  const cap = SENTRY_LIMITS.maxBodyBytes;
  if (Number(request.headers.get('content-length') ?? 0) > cap) throw tooLarge();
  const encoding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  const format = DECODERS[encoding];
  if (format === undefined) {
    throw new IngestError('unsupported_media_type', 'content encoding must be gzip or deflate');
  }
  if (request.body === null) return new Uint8Array();
  let stream = request.body.pipeThrough(counter(cap));
  if (format !== null) stream = stream.pipeThrough(new DecompressionStream(format));
  stream = stream.pipeThrough(counter(cap));

  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      total += chunk.byteLength;
    }
  } catch (err) {
    if (err instanceof TooLarge) throw tooLarge();
    throw new IngestError('invalid_request', 'body could not be decompressed');
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
