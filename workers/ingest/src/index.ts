import { bundledConfig } from '@homeostat/shared';
import { createIngestApp } from './app.ts';
import { benchFetch, withBenchEnv } from './bench-env.ts';
import { FingerprintDO as FingerprintObject } from './fingerprint.do.ts';
import { RateLimiter as RateLimiterObject } from './rate-limiter.do.ts';
import { ReleaseHealthDO as ReleaseHealthObject } from './release-health.do.ts';

// The classes as deployed: with `BENCH_METRICS` = "1" (the bench only) their bindings count what
// they cost (bench-env.ts); otherwise they are the classes themselves.
export class FingerprintDO extends withBenchEnv(FingerprintObject) {}
export class RateLimiter extends withBenchEnv(RateLimiterObject) {}
export class ReleaseHealthDO extends withBenchEnv(ReleaseHealthObject) {}

export { IngestRpc } from './ingest-rpc.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const app = createIngestApp(bundledConfig());

export default {
  fetch: benchFetch(app.fetch),
} satisfies ExportedHandler<Env>;
