import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from '../../scripts/lib/local-stack.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';

export interface InProcessStack extends LocalStack {
  /** Runs SQL against the stack's one local D1 database. */
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Polls `probe` until it returns a value that is not null/undefined/false. */
  until<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs?: number): Promise<T>;
  dispose(): Promise<void>;
}

/**
 * The same local stack `npm start` runs (scripts/lib/local-stack.ts), started in the test process
 * so a test can read the shared D1 database while the Workers run.
 */
export async function startInProcessStack(
  options: Partial<Pick<LocalStackOptions, 'configFile' | 'vars' | 'cronOverride'>> = {},
): Promise<InProcessStack> {
  const dir = await mkdtemp(
    path.join(process.env.HOMEOSTAT_STATE_ROOT ?? tmpdir(), 'homeostat-stack-'),
  );
  const stack = await startLocalStack({
    configFile: options.configFile ?? path.join(REPO_ROOT, 'homeostat.config.json'),
    persistTo: dir,
    host: '127.0.0.1',
    ports: { ingest: 0, triage: 0, 'canary-monitor': 0 },
    ...(options.vars === undefined ? {} : { vars: options.vars }),
    ...(options.cronOverride === undefined ? {} : { cronOverride: options.cronOverride }),
  });
  const db = await stack.miniflare.getD1Database('DB', 'homeostat-ingest');
  return {
    ...stack,
    async query<T>(sql: string, ...params: unknown[]) {
      const result = await db
        .prepare(sql)
        .bind(...params)
        .all<T>();
      return result.results;
    },
    async until<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== null && value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async dispose() {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
