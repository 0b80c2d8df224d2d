import { bundledConfig } from '@homeostat/shared';
import { createIngestApp } from './app.ts';

export { FingerprintDO } from './fingerprint.do.ts';
export { RateLimiter } from './rate-limiter.do.ts';
export { ReleaseHealthDO } from './release-health.do.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const app = createIngestApp(bundledConfig());

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
