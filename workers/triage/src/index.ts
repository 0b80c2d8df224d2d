import { bundledConfig } from '@homeostat/shared';
import { createTriageApp } from './app.ts';
import { createTriageConsumer } from './triage.consumer.ts';

export { TriageRpc } from './triage-rpc.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const config = bundledConfig();
const app = createTriageApp(config);

export default {
  fetch: app.fetch,
  queue: createTriageConsumer({ config }),
} satisfies ExportedHandler<Env>;
