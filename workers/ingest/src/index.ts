import { bundledConfig } from '@homeostat/shared';
import { createIngestApp } from './app.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const app = createIngestApp(bundledConfig());

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
