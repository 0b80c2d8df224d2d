import type { RequestExecutor } from './base.ts';

/**
 * `keepalive` lets a request outlive the page or worker that sent it, which is what an extension
 * being closed or stopped needs, but Chrome refuses a keepalive request once the bodies of all
 * keepalive requests in flight exceed 64 KiB (fetch spec, "inflight keepalive bytes"; the same
 * bookkeeping as sentry-javascript's `fetch.ts`), so larger batches go without it.
 */
const KEEPALIVE_BUDGET = 60_000;

/** The executor over `fetch`, injected so tests pass their own. */
export function makeFetchExecutor(nativeFetch: typeof fetch = fetch): RequestExecutor {
  let inflight = 0;
  return async (url, body, headers) => {
    const size = body.length * 3; // UTF-8 bytes, at most
    const keepalive = inflight + size <= KEEPALIVE_BUDGET;
    if (keepalive) inflight += size;
    try {
      const res = await nativeFetch(url, {
        method: 'POST',
        headers,
        body,
        keepalive,
        // A service worker's fetch would send the ingest origin's cookies otherwise.
        credentials: 'omit',
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: res.ok ? await res.json().catch(() => null) : null,
      };
    } finally {
      if (keepalive) inflight -= size;
    }
  };
}
