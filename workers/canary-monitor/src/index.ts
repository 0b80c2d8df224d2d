import { bundledConfig } from '@homeostat/shared';
import { createCanaryApp } from './app.ts';
import { createCanaryCron } from './canary.cron.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const config = bundledConfig();
const app = createCanaryApp(config);

export default {
  fetch: app.fetch,
  scheduled: createCanaryCron(config),
} satisfies ExportedHandler<Env>;
