import type { Category } from './rate-limit.ts';
import { parseRetryAfter } from './rate-limit.ts';

/** The response facts the SDK acts on; a platform executor produces them. */
export interface TransportResponse {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/**
 * Sends one request. The executor is the only platform-specific part, as in sentry-javascript
 * (`createTransport(options, makeRequest)`), so tests inject it and never touch the network.
 * It rejects on a network failure.
 */
export type RequestExecutor = (
  url: string,
  body: string,
  headers: Record<string, string>,
) => Promise<TransportResponse>;

export type DropReason = 'invalid' | 'too_large' | 'unauthorized' | 'rejected';

export type SendResult =
  /** Accepted. `limited` lists event ids the server answered `rate_limited` for. */
  | { kind: 'ok'; limited: string[]; retryAfterMs: number }
  /** 429: nothing of this category until then. */
  | { kind: 'limited'; retryAfterMs: number }
  /** Network failure or 5xx: back off and try again; `retryAfterMs` when the server said. */
  | { kind: 'retry'; retryAfterMs?: number }
  /** A request that can never succeed as sent: dropped and counted, never retried. */
  | { kind: 'drop'; reason: DropReason };

const DROPS: Record<number, DropReason> = { 400: 'invalid', 401: 'unauthorized', 413: 'too_large' };

/**
 * Turns a response into what the queue does with the batch (architecture.md, "Ingest"):
 * 202 delivered except events marked `rate_limited`; 429 waits for `Retry-After`; 400, 401, 413,
 * 415 and other 4xx are dropped, as Sentry drops a 413, because resending the same bytes cannot
 * help; 5xx (503 when storage is down) and network failures are retried.
 */
export function classify(res: TransportResponse, now: number): SendResult {
  const retryAfterMs = parseRetryAfter(res.retryAfter, now);
  if (res.status === 429) return { kind: 'limited', retryAfterMs };
  if (res.status >= 500)
    return res.retryAfter ? { kind: 'retry', retryAfterMs } : { kind: 'retry' };
  if (res.status >= 400) return { kind: 'drop', reason: DROPS[res.status] ?? 'rejected' };
  const results = (res.body as { results?: unknown } | null)?.results;
  const limited = Array.isArray(results)
    ? results
        .filter((r: { status?: unknown }) => r?.status === 'rate_limited')
        .map((r: { eventId?: unknown }) => String(r.eventId))
    : [];
  return { kind: 'ok', limited, retryAfterMs };
}

/** Posts one envelope to `/v1/<category>` with the ingest key in a header. */
export function createTransport(
  options: { endpoint: string; key: string },
  makeRequest: RequestExecutor,
) {
  const base = options.endpoint.replace(/\/+$/, '');
  return async (category: Category, envelope: unknown): Promise<SendResult> => {
    let res: TransportResponse;
    try {
      res = await makeRequest(`${base}/v1/${category}`, JSON.stringify(envelope), {
        'content-type': 'application/json',
        'x-homeostat-key': options.key,
      });
    } catch {
      return { kind: 'retry' };
    }
    return classify(res, Date.now());
  };
}

export type Transport = ReturnType<typeof createTransport>;
