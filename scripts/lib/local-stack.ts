import path from 'node:path';
import * as esbuild from 'esbuild';
import { convertV4MiniflareOptions, Miniflare, type V4WorkerOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';
import { scheduleCron } from './cron-scheduler.ts';
import { applyMigrations, readMigrations } from './d1-schema.ts';
import { REPO_ROOT, WORKERS, type WorkerEntry } from './workers.ts';

export interface LocalStackOptions {
  /** homeostat config bundled into every Worker in place of the repository's file. */
  configFile: string;
  /** Root of the persisted D1, Durable Object and Queue state (wrangler's `--persist-to`). */
  persistTo: string;
  host: string;
  /** Port per Worker; 0 picks a free one. */
  ports: Record<WorkerEntry['name'], number>;
  /** Replaces each Worker's configured cron expressions, to see a tick without waiting. */
  cronOverride?: string;
  /** Overrides of Wrangler vars per Worker, e.g. to turn on bench metrics. */
  vars?: Partial<Record<WorkerEntry['name'], Record<string, string>>>;
  log?: (line: string) => void;
}

export interface LocalStack {
  urls: Record<WorkerEntry['name'], string>;
  miniflare: Miniflare;
  stop(): Promise<void>;
}

interface PreparedWorker {
  entry: WorkerEntry;
  scriptName: string;
  crons: string[];
  options: V4WorkerOptions;
}

const CONFIG_IMPORT = /(^|\/)homeostat\.config\.json$/;

/**
 * Bundles a Worker the way wrangler does (ESM, workerd conditions, `cloudflare:` modules external),
 * except that the import of `homeostat.config.json` resolves to the chosen config file.
 */
async function bundle(main: string, configFile: string, define: Record<string, string>) {
  const result = await esbuild.build({
    entryPoints: [main],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2024',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    define,
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [
      {
        name: 'homeostat-config',
        setup(build) {
          build.onResolve({ filter: CONFIG_IMPORT }, () => ({ path: configFile }));
        },
      },
    ],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${main}`);
  return output.text;
}

async function prepare(entry: WorkerEntry, options: LocalStackOptions): Promise<PreparedWorker> {
  const configPath = path.join(REPO_ROOT, entry.configPath);
  const wranglerConfig = unstable_readConfig({ config: configPath });
  const { workerOptions, main, define } = unstable_getMiniflareWorkerOptions(configPath);
  if (main === undefined) throw new Error(`${entry.configPath} has no main`);
  const script = await bundle(main, options.configFile, define);
  const scriptName = wranglerConfig.name ?? `homeostat-${entry.name}`;
  const configured = wranglerConfig.triggers.crons ?? [];
  const crons =
    options.cronOverride !== undefined && configured.length > 0
      ? [options.cronOverride]
      : configured;
  return {
    entry,
    scriptName,
    crons,
    options: {
      ...workerOptions,
      bindings: {
        ...(workerOptions.bindings as Record<string, string>),
        ...options.vars?.[entry.name],
      },
      name: scriptName,
      modules: [
        { type: 'ESModule', path: path.join(path.dirname(main), 'index.js'), contents: script },
      ],
      unsafeDirectSockets: [{ host: options.host, port: options.ports[entry.name] }],
    },
  };
}

/**
 * Runs all three Workers in one Miniflare instance, so they share one local D1 database, the
 * Durable Objects and the triage queue exactly as they share them in production, each Worker on
 * its own port. State persists under `persistTo` in wrangler's layout, so `wrangler d1 execute
 * --local` sees the same database.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const prepared = await Promise.all(WORKERS.map((w) => prepare(w, options)));
  // wrangler describes Workers in Miniflare's v4 option shape; Miniflare 5 converts it.
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: options.host,
      port: 0,
      resourcePersistencePath: path.join(options.persistTo, 'v3'),
      unsafeTriggerHandlers: true,
      workers: prepared.map((p) => p.options),
    }),
  );
  await miniflare.ready;

  // migrations/ as `wrangler d1 migrations apply --local` applies them, into the same table, so a
  // persisted database gets only what it lacks and `npm run db:apply` agrees (issue 12, section 3).
  const db = await miniflare.getD1Database('DB', prepared[0]?.scriptName);
  const applied = await applyMigrations(db, await readMigrations());
  log(
    applied.length > 0
      ? `applied D1 migrations: ${applied.join(', ')}`
      : 'D1 migrations: all applied already',
  );

  const urls = {} as Record<WorkerEntry['name'], string>;
  for (const p of prepared) {
    urls[p.entry.name] = (await miniflare.unsafeGetDirectURL(p.scriptName)).href.replace(/\/$/, '');
  }

  const crons = prepared.flatMap((p) =>
    p.crons.map((expression) =>
      scheduleCron(expression, async (tick) => {
        const worker = await miniflare.getWorker(p.scriptName);
        await worker.scheduled({ cron: tick.cron, scheduledTime: tick.scheduledTime });
        log(`cron ${tick.cron} fired on ${p.entry.name} for ${tick.scheduledTime.toISOString()}`);
      }),
    ),
  );

  let stopped = false;
  return {
    urls,
    miniflare,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of crons) c.stop();
      await miniflare.dispose();
    },
  };
}
