import autocannon from 'autocannon';

/**
 * The bench's traffic (issue 3, issue 14 item 8): a seeded mix of extension error batches over a
 * number of fingerprints and installs, the same for every run of a given scale, sent by autocannon.
 */

export const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
export const KEY = 'hs_pub_bench_key_000000001';
export const PII_SHARE = 0.1;

export interface Scale {
  name: string;
  fingerprints: number;
  installs: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  meanMs: number;
  total: number;
  non2xx: number;
  errors: number;
}

const TYPES = ['TypeError', 'ReferenceError', 'Error', 'RangeError', 'SyntaxError'];

export interface BenchRequest {
  body: string;
  /**
   * The client address Cloudflare would report (`CF-Connecting-IP`): one /24 per install, so a
   * problem is seen from as many networks as installs (ingest announces a problem only once it is
   * seen from more than one network, issue 11). Locally nothing overwrites the header.
   */
  address: string;
}

/** Requests of one scale, from a mulberry32 PRNG so that every run sends the same mix. */
export function bodies(scale: Scale, seed = 42): () => BenchRequest {
  let state = seed;
  let eventCounter = 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (n: number) => Math.floor(random() * n);
  // Fingerprints differ by scale, so a scale's objects start empty even in a shared database.
  const tag = scale.name.replace(/[^a-z0-9]/gi, '');

  const event = () => {
    const f = pick(scale.fingerprints);
    const pii = random() < PII_SHARE;
    const id = pick(100_000);
    const message = pii
      ? `Request for user jane.doe${id}@example.com failed with token ghp_${'A'.repeat(20)}${id.toString().padStart(16, '0')}`
      : `Cannot read properties of undefined (reading 'item${f}') for tab ${id}`;
    eventCounter++;
    const type = TYPES[f % TYPES.length] ?? 'Error';
    return {
      eventId: `bench-${process.pid}-${tag}-${eventCounter.toString(36)}`,
      timestamp: Date.now(),
      surface: f % 5 === 0 ? 'content' : 'background',
      sessionId: `session-${pick(scale.installs * 3)}`,
      error: {
        type,
        message,
        stack: [
          `${type}: ${message}`,
          `    at handler${tag}${f} (chrome-extension://${EXTENSION_ID}/js/module${f % 7}.${(1000 + f).toString(16)}.js:${10 + pick(50)}:${pick(80)})`,
          `    at async dispatch (chrome-extension://${EXTENSION_ID}/js/background.js:88:5)`,
          '    at Array.forEach (<anonymous>)',
        ].join('\n'),
      },
      breadcrumbs: [{ timestamp: Date.now(), category: 'navigation', message: 'popup opened' }],
      tags: { channel: 'stable' },
    };
  };

  return () => {
    const events = random() < 0.7 ? 1 : 1 + pick(4);
    const install = pick(scale.installs);
    return {
      body: JSON.stringify({
        sdk: { name: 'homeostat-extension-sdk', version: '0.1.0' },
        extension: { id: EXTENSION_ID, version: `1.${pick(3)}.0` },
        install: { id: `install-${tag}-${install.toString().padStart(6, '0')}` },
        events: Array.from({ length: events }, event),
      }),
      address: `10.${(install >> 8) & 255}.${install & 255}.7`,
    };
  };
}

function withRequest<T extends { headers?: object }>(req: T, r: BenchRequest) {
  return { ...req, body: r.body, headers: { ...req.headers, 'cf-connecting-ip': r.address } };
}

export async function load(
  url: string,
  next: () => BenchRequest,
  opts: { connections: number; seconds: number },
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/v1/events`,
    connections: opts.connections,
    duration: opts.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
    requests: [{ setupRequest: (req) => withRequest(req, next()) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    meanMs: result.latency.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** A fixed number of requests, so that neither side pays first-request compilation in its run. */
export async function warm(url: string, next: () => BenchRequest, amount = 200): Promise<void> {
  await autocannon({
    url: `${url}/v1/events`,
    amount,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
    requests: [{ setupRequest: (req) => withRequest(req, next()) }],
  });
}
