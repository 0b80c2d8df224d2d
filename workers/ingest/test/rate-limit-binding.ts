import { env } from 'cloudflare:workers';
import { INSTALL_LIMIT_UNITS } from '../src/install-limit.ts';

/**
 * The Workers Rate Limiting binding as Cloudflare documents it
 * (developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/, and `RateLimitOptions` in
 * @cloudflare/workers-types 5.20261117): per key, fixed windows of `period` seconds aligned to the
 * clock; a call succeeds while the key's counter is below `limit`, and then adds `delta` (default
 * 1) to it, even past the limit.
 *
 * Why an emulator at all: the vitest pool bundles Miniflare 5.20261102, whose binding predates
 * `delta` and refuses it. Miniflare 5.20261117 implements exactly the behaviour above, and
 * `npm start`, the end-to-end tests and the bench run on it. The tests use the real binding as
 * soon as it accepts `delta` (`bindingsForTests` asks it once).
 */
export function emulatedRateLimit(limit: number, periodSeconds: number): RateLimit {
  const counters = new Map<string, { window: number; count: number }>();
  return {
    async limit({ key, delta = 1 }: RateLimitOptions): Promise<RateLimitOutcome> {
      if (!Number.isInteger(delta) || delta < 1 || delta > 2 ** 32 - 1) {
        throw new RangeError('delta must be a positive 32-bit integer');
      }
      const window = Math.floor(Date.now() / (periodSeconds * 1000));
      const current = counters.get(key);
      const count = current?.window === window ? current.count : 0;
      if (count >= limit) return { success: false };
      counters.set(key, { window, count: count + delta });
      return { success: true };
    },
  };
}

/**
 * Gives ingest's tests a `delta`-capable INSTALL_LIMITER: the real binding when it accepts
 * `delta`, otherwise the emulator above with the binding's `limit` and `period` from
 * wrangler.toml, put in place on the shared `env` so every test and entrypoint sees it.
 */
export async function ensureDeltaCapableLimiter(): Promise<void> {
  try {
    await env.INSTALL_LIMITER.limit({ key: 'probe:delta', delta: 1 });
  } catch {
    Object.assign(env, { INSTALL_LIMITER: emulatedRateLimit(INSTALL_LIMIT_UNITS, 60) });
  }
}
