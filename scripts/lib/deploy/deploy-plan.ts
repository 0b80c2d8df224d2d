import path from 'node:path';
import { unstable_readConfig } from 'wrangler';
import { REPO_ROOT, WORKERS, type WorkerEntry } from '../workers.ts';

/**
 * The parts of a Wrangler config read here, as `unstable_readConfig` returns them (wrangler's own
 * Config type comes from a package that does not resolve from this workspace).
 */
export interface WranglerConfigView {
  name?: string;
  main?: string;
  configPath?: string;
  d1_databases: {
    binding: string;
    database_name?: string;
    database_id?: string;
    migrations_dir?: string;
  }[];
  queues: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string }[];
  };
  r2_buckets: { binding: string; bucket_name?: string }[];
  services?: { binding: string; service: string }[];
  triggers: { crons?: string[] };
  secrets?: { required?: string[] };
}

export function readWranglerConfig(configPath: string): WranglerConfigView {
  return unstable_readConfig({ config: configPath }) as WranglerConfigView;
}

export interface DeployTarget {
  entry: WorkerEntry;
  /** The committed config, relative to the repository root (what users pass to wrangler). */
  configPath: string;
  /** The Worker's name on Cloudflare. */
  scriptName: string;
  /** `[secrets] required`: every secret the Worker reads (each optional at run time). */
  secrets: string[];
}

export interface DeployPlan {
  /** In deploy order: a service binding's target is deployed before the Worker that binds it. */
  targets: DeployTarget[];
  /** The one D1 database all three bind. */
  database: string;
  /** Every queue a config produces to, consumes or dead-letters into. */
  queues: string[];
  buckets: string[];
}

/**
 * What `npm run deploy` creates and deploys, read from the three Wrangler configs themselves (the
 * configs are the one description; nothing here repeats a queue or bucket name).
 */
export function readDeployPlan(root = REPO_ROOT): DeployPlan {
  const databases = new Set<string>();
  const queues = new Set<string>();
  const buckets = new Set<string>();
  const targets: DeployTarget[] = [];
  for (const entry of WORKERS) {
    const config = readWranglerConfig(path.join(root, entry.configPath));
    if (config.name === undefined) throw new Error(`${entry.configPath} has no name`);
    for (const d of config.d1_databases) {
      if (d.database_name === undefined) throw new Error(`${entry.configPath}: D1 without a name`);
      databases.add(d.database_name);
    }
    for (const p of config.queues.producers ?? []) queues.add(p.queue);
    for (const c of config.queues.consumers ?? []) {
      queues.add(c.queue);
      if (c.dead_letter_queue !== undefined) queues.add(c.dead_letter_queue);
    }
    for (const b of config.r2_buckets) {
      if (b.bucket_name !== undefined) buckets.add(b.bucket_name);
    }
    // wrangler refuses a service binding to a Worker that does not exist yet.
    for (const service of config.services ?? []) {
      if (!targets.some((t) => t.scriptName === service.service)) {
        throw new Error(`${entry.configPath} binds ${service.service}, which must deploy first`);
      }
    }
    targets.push({
      entry,
      configPath: entry.configPath,
      scriptName: config.name,
      secrets: config.secrets?.required ?? [],
    });
  }
  const [database, ...others] = [...databases];
  if (database === undefined || others.length > 0) {
    throw new Error(
      `the Workers must bind exactly one D1 database, found: ${[...databases].join(', ')}`,
    );
  }
  return { targets, database, queues: [...queues].sort(), buckets: [...buckets].sort() };
}
