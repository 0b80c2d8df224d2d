import { bundledConfig } from '@homeostat/shared';
import { createTriageApp } from './app.ts';
import { consumeTriageBatch } from './triage.consumer.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const app = createTriageApp(bundledConfig());

export default {
  fetch: app.fetch,
  queue: consumeTriageBatch,
} satisfies ExportedHandler<Env>;
