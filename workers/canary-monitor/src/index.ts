import { bundledConfig } from '@homeostat/shared';
import { createCanaryApp } from './app.ts';
import { runCanaryCron } from './canary.cron.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const app = createCanaryApp(bundledConfig());

export default {
  fetch: app.fetch,
  scheduled: runCanaryCron,
} satisfies ExportedHandler<Env>;
