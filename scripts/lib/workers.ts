import path from 'node:path';
import type { WorkerName } from '@homeostat/shared';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export interface WorkerEntry {
  name: WorkerName;
  /** Wrangler config of this Worker, relative to the repository root. */
  configPath: string;
  /** Where `wrangler types` writes its Env types, relative to the repository root. */
  typesPath: string;
  /** Default local port of `npm start`. */
  defaultPort: number;
}

/** The three Workers, each described by exactly one Wrangler config. */
export const WORKERS: readonly WorkerEntry[] = [
  {
    name: 'ingest',
    configPath: 'wrangler.toml',
    typesPath: 'workers/ingest/worker-configuration.d.ts',
    defaultPort: 8787,
  },
  {
    name: 'triage',
    configPath: 'workers/triage/wrangler.toml',
    typesPath: 'workers/triage/worker-configuration.d.ts',
    defaultPort: 8788,
  },
  {
    name: 'canary-monitor',
    configPath: 'workers/canary-monitor/wrangler.toml',
    typesPath: 'workers/canary-monitor/worker-configuration.d.ts',
    defaultPort: 8789,
  },
];
