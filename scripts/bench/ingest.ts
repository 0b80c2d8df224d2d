import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { costPerMillionEvents } from './ingest-cost.ts';
import {
  bodies,
  EXTENSION_ID,
  KEY,
  type LoadResult,
  load,
  PII_SHARE,
  type Scale,
  warm,
} from './ingest-load.ts';
import {
  cpuMs,
  durableObjectBytes,
  readMetrics,
  resetMetrics,
  workerdPids,
} from './ingest-measure.ts';
import {
  printCosts,
  printCounts,
  printLoad,
  printTargets,
  type ScaleRun,
} from './ingest-report.ts';

/**
 * `npm run bench` (issues 3 and 14): the ingest Worker under a realistic mix against an empty
 * Worker on the same runtime, measured in the same run; its storage and messaging per event from
 * the Worker's own counters and the database; the Cloudflare cost per million events at list
 * prices; the same again at 10× the fingerprints and installs; and issue 14's targets, each
 * PASS or MISS. A script that prints figures, not a test.
 *
 * `--short` (or BENCH_SHORT=1): 5-second runs, for CI and quick checks; figures are noisier (a
 * run spans fewer flushes, so per-event D1 figures come out higher).
 * BENCH_SECONDS and BENCH_CONNECTIONS override the run length and the concurrency.
 */
const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SHORT ? 5 : 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Seconds between an object's first unflushed change and its D1 write, in the bench. */
const FLUSH_INTERVAL_SECONDS = 2;
/**
 * A Fingerprint object refreshes its D1 counts and samples at most once a minute
 * (fingerprint-projection.ts): after the load, the bench waits that long and until nothing more
 * is written, so that every write the run caused is counted. A run shorter than that minute
 * therefore overstates D1 writes per event against a deployment's steady state.
 */
const DEFERRED_WRITES_SECONDS = 62;
const QUIET_SECONDS = 6;
const SCALES: Scale[] = [
  { name: '1× (50 fp, 500 inst)', fingerprints: 50, installs: 500 },
  { name: '10× (500 fp, 5k inst)', fingerprints: 500, installs: 5_000 },
];

interface Db {
  prepare(sql: string): {
    first<T>(): Promise<T | null>;
    run(): Promise<{ meta: { size_after: number } }>;
  };
}

async function count(db: Db, sql: string): Promise<number> {
  return (await db.prepare(sql).first<{ n: number }>())?.n ?? 0;
}

/** The database file's size as D1 reports it after a query (`meta.size_after`). */
async function databaseBytes(db: Db): Promise<number> {
  return (await db.prepare('SELECT 1').run()).meta.size_after;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function benchConfig(dir: string): Promise<string> {
  const file = path.join(dir, 'bench.config.json');
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      // Triage files issues in dry-run here; a loopback address with nothing listening makes its
      // GitHub reads fail at once instead of waiting on DNS (no network on bench machines).
      github: { apiBaseUrl: 'http://127.0.0.1:9' },
      extensions: [
        {
          id: EXTENSION_ID,
          name: 'bench-extension',
          ingestKeys: [KEY],
          repo: 'acme/bench',
          // The bench measures the pipeline, not the limiter's refusals.
          limits: { eventsPerDay: 1e9, perInstallPerMinute: 1e6, perExtensionPerMinute: 1e8 },
        },
      ],
      repositories: [{ slug: 'acme/bench' }],
    }),
  );
  return file;
}

/** The empty Worker: it parses the same body and answers the same status, nothing more. */
async function measureBaseline(): Promise<{
  load: LoadResult;
  cpuPerRequest: number;
  dispose: () => Promise<void>;
}> {
  const before = new Set(workerdPids());
  const baseline = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      compatibilityDate: '2026-11-01',
      script: `export default { async fetch(request) {
        const body = await request.json();
        return Response.json({ accepted: body.events.length, results: [] }, { status: 202 });
      } };`,
    }),
  );
  const url = (await baseline.ready).href.replace(/\/$/, '');
  const pids = workerdPids().filter((p) => !before.has(p));
  const body = bodies({ name: 'baseline', fingerprints: 50, installs: 500 });
  await warm(url, body);
  const cpuBefore = cpuMs(pids);
  const result = await load(url, body, { connections: CONNECTIONS, seconds: SECONDS });
  const cpu = cpuMs(pids) - cpuBefore;
  return {
    load: result,
    cpuPerRequest: cpu / Math.max(1, result.total),
    dispose: () => baseline.dispose(),
  };
}

/** Waits for the run's deferred D1 writes and queue messages, then for quiet. */
async function drain(url: string): Promise<void> {
  const started = Date.now();
  let last = '';
  let quietSince = Date.now();
  for (;;) {
    await sleep(2_000);
    const m = await readMetrics(url);
    const now = `${m.d1Batches}/${m.queueMessages}/${m.doCalls}`;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
    const waited = (Date.now() - started) / 1000;
    if (waited >= DEFERRED_WRITES_SECONDS && (Date.now() - quietSince) / 1000 >= QUIET_SECONDS)
      return;
    if (waited >= DEFERRED_WRITES_SECONDS * 2) return;
  }
}

async function measureScale(
  root: string,
  configFile: string,
  scale: Scale,
  base: { load: LoadResult; cpuPerRequest: number },
): Promise<ScaleRun> {
  const persistTo = await mkdtemp(path.join(root, 'state-'));
  const before = new Set(workerdPids());
  const { startLocalStack } = await import('../lib/local-stack.ts');
  const stack = await startLocalStack({
    configFile,
    persistTo,
    host: '127.0.0.1',
    ports: { ingest: 0, triage: 0, 'canary-monitor': 0 },
    vars: {
      ingest: { BENCH_METRICS: '1', FLUSH_INTERVAL_SECONDS: String(FLUSH_INTERVAL_SECONDS) },
    },
  });
  const pids = workerdPids().filter((p) => !before.has(p));
  const url = stack.urls.ingest;
  const db = (await stack.miniflare.getD1Database('DB', 'homeostat-ingest')) as unknown as Db;
  try {
    const body = bodies(scale);
    // Every fingerprint seen before counting, as in a deployment that has been running: the
    // figures are the steady state's, not the first sighting's.
    await warm(url, body, Math.max(200, scale.fingerprints * 4));
    // Let the warm-up's flushes and messages settle before counting.
    await sleep((FLUSH_INTERVAL_SECONDS + 1) * 1000);
    await resetMetrics(url);
    const d1Before = await databaseBytes(db);
    const doBefore = durableObjectBytes(persistTo);
    const transitionsBefore = await count(db, 'SELECT count(*) AS n FROM fingerprint_transitions');
    const cpuBefore = cpuMs(pids);

    const result = await load(url, body, { connections: CONNECTIONS, seconds: SECONDS });
    await drain(url);

    const cpu = cpuMs(pids) - cpuBefore;
    const metrics = await readMetrics(url);
    const transitions =
      (await count(db, 'SELECT count(*) AS n FROM fingerprint_transitions')) - transitionsBefore;
    const cost = costPerMillionEvents({
      events: metrics.events,
      requests: metrics.requests,
      doCalls: metrics.doCalls,
      d1Batches: metrics.d1Batches,
      d1RowsWritten: metrics.d1RowsWritten,
      d1RowsRead: metrics.d1RowsRead ?? null,
      doRowsWritten: metrics.doRowsWritten ?? null,
      doRowsRead: metrics.doRowsRead ?? null,
      queueMessages: metrics.queueMessages,
      workerCpuMs: Math.max(0, cpu - base.cpuPerRequest * metrics.requests),
      d1BytesGrown: (await databaseBytes(db)) - d1Before,
      doBytesGrown: durableObjectBytes(persistTo) - doBefore,
    });
    return { scale, load: result, metrics, transitions, cost };
  } finally {
    await stack.stop();
  }
}

async function main() {
  // Local state on tmpfs when the machine has one: a developer disk's fsync latency is not what
  // Durable Object storage costs in production, and it would swamp the Worker's own cost.
  const root = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = await mkdtemp(path.join(root, 'homeostat-bench-'));
  // Quiet wrangler's missing-secret warnings (read when wrangler loads, hence the late import).
  process.env.WRANGLER_LOG ??= 'error';
  try {
    const configFile = await benchConfig(dir);
    console.log(
      `ingest benchmark${SHORT ? ' (short)' : ''}: ${CONNECTIONS} connections × ${SECONDS} s per run, ${PII_SHARE * 100}% PII-laden events, flush every ${FLUSH_INTERVAL_SECONDS} s, local workerd, state in ${root}; scales ${SCALES.map((s) => s.name).join(' and ')}, each on fresh state`,
    );
    const base = await measureBaseline();
    await base.dispose();
    const runs: ScaleRun[] = [];
    for (const scale of SCALES) runs.push(await measureScale(dir, configFile, scale, base));

    printLoad(base.load, runs);
    printCounts(runs);
    printCosts(runs);
    printTargets(base.load, runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
