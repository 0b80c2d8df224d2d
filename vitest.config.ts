import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/shared/vitest.config.ts',
      'workers/ingest/vitest.config.ts',
      'workers/triage/vitest.config.ts',
      'workers/canary-monitor/vitest.config.ts',
      'test/vitest.config.ts',
      'extension-sdk/vitest.config.ts',
    ],
  },
});
