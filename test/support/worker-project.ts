import path from 'node:path';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import type { WorkerName } from '@homeostat/shared';
import { defineProject } from 'vitest/config';
import { unstable_readConfig } from 'wrangler';
import { readMigrations } from '../../scripts/lib/d1-schema.ts';
import { REPO_ROOT, WORKERS } from '../../scripts/lib/workers.ts';

/** Test-only Miniflare options for one Worker. */
type MiniflareExtras = {
  /** e.g. a producer binding to the Worker's own queue. */
  queueProducers?: Record<string, { queueName: string }>;
  /** Auxiliary Workers, e.g. a stand-in for the target of a service binding. */
  workers?: { name: string; modules: boolean; compatibilityDate: string; script: string }[];
};

/**
 * The vitest project of one Worker: its tests run inside workerd with the bindings of its real
 * Wrangler config (local D1, Durable Objects, Queues). The setup file applies `migrations/` as
 * `wrangler d1 migrations apply` does in production (issue 12, section 3), so tests see exactly
 * the production schema.
 */
export async function workerProject(
  name: WorkerName,
  testOnly: MiniflareExtras = {},
  /** Values built on the Node side and handed to the tests (vitest's `inject`). */
  provide: Record<string, unknown> = {},
) {
  const entry = WORKERS.find((w) => w.name === name);
  if (entry === undefined) throw new Error(`unknown worker ${name}`);
  const configPath = path.join(REPO_ROOT, entry.configPath);
  const config = unstable_readConfig({ config: configPath });
  // Secrets would otherwise be read from .dev.vars or the developer's environment; every test
  // starts credential-free and a test that needs a secret passes it explicitly.
  const noSecrets = Object.fromEntries(
    (config.secrets?.required ?? []).map((s: string) => [s, '']),
  );
  return defineProject({
    plugins: [
      cloudflareTest({
        wrangler: { configPath },
        miniflare: {
          // No test reaches the internet: code under test talks to emulators through injected
          // fetches, and anything else (e.g. the real queue consumer with the bundled config
          // calling api.github.com) gets a 503 here instead of a DNS lookup that fails noisily.
          outboundService: () =>
            new Response('tests have no network: use an emulator', { status: 503 }),
          ...testOnly,
          bindings: {
            ...noSecrets,
            HOMEOSTAT_ENV: 'test',
            TEST_D1_MIGRATIONS: await readMigrations(),
          },
        },
      }),
    ],
    test: {
      name,
      root: path.join(REPO_ROOT, 'workers', name),
      include: ['test/**/*.test.ts'],
      // One isolate for all of a Worker's test files instead of one each: triage's 52 files run
      // in 19 s instead of 138 s. Each file still starts from an empty database (the setup file
      // below wipes it); Durable Object state does persist, so tests name their objects uniquely.
      isolate: false,
      setupFiles: [path.join(REPO_ROOT, 'test/support/apply-d1-schema.workerd.ts')],
      provide,
    },
  });
}
