import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { z } from 'zod';

/**
 * `npm run bench` (issue 3): the ingest Worker under a realistic mix against an empty Worker on
 * the same runtime, measured in the same run, plus the storage and messaging cost per event read
 * from the Worker's own counters and the database. A script that prints figures, not a test.
 */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FINGERPRINTS = 50;
const INSTALLS = 500;
const PII_SHARE = 0.1;
const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const KEY = 'hs_pub_bench_key_000000001';

let seed = 42;
function random(): number {
  // mulberry32: a seeded PRNG so every run sends the same mix.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n: number) => Math.floor(random() * n);

const TYPES = ['TypeError', 'ReferenceError', 'Error', 'RangeError', 'SyntaxError'];
let eventCounter = 0;

function event() {
  const f = pick(FINGERPRINTS);
  const pii = random() < PII_SHARE;
  const id = pick(100_000);
  const message = pii
    ? `Request for user jane.doe${id}@example.com failed with token ghp_${'A'.repeat(20)}${id.toString().padStart(16, '0')}`
    : `Cannot read properties of undefined (reading 'item${f}') for tab ${id}`;
  eventCounter++;
  return {
    eventId: `bench-${process.pid}-${eventCounter.toString(36)}`,
    timestamp: Date.now(),
    surface: f % 5 === 0 ? 'content' : 'background',
    sessionId: `session-${pick(INSTALLS * 3)}`,
    error: {
      type: TYPES[f % TYPES.length] ?? 'Error',
      message,
      stack: [
        `${TYPES[f % TYPES.length]}: ${message}`,
        `    at handler${f} (chrome-extension://${EXTENSION_ID}/js/module${f % 7}.${(1000 + f).toString(16)}.js:${10 + pick(50)}:${pick(80)})`,
        `    at async dispatch (chrome-extension://${EXTENSION_ID}/js/background.js:88:5)`,
        '    at Array.forEach (<anonymous>)',
      ].join('\n'),
    },
    breadcrumbs: [{ timestamp: Date.now(), category: 'navigation', message: 'popup opened' }],
    tags: { channel: 'stable' },
  };
}

function body(): string {
  const events = random() < 0.7 ? 1 : 1 + pick(4);
  return JSON.stringify({
    sdk: { name: 'homeostat-extension-sdk', version: '0.1.0' },
    extension: { id: EXTENSION_ID, version: `1.${pick(3)}.0` },
    install: { id: `install-${pick(INSTALLS).toString().padStart(6, '0')}` },
    events: Array.from({ length: events }, event),
  });
}

async function load(url: string) {
  const result = await autocannon({
    url: `${url}/v1/events`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const Metrics = z.object({
  requests: z.number(),
  events: z.number(),
  doCalls: z.number(),
  d1Batches: z.number(),
  d1Statements: z.number(),
  d1RowsWritten: z.number(),
  queueMessages: z.number(),
});

async function main() {
  // Local state on tmpfs when the machine has one: a developer disk's fsync latency is not what
  // Durable Object storage costs in production, and it would swamp the Worker's own cost.
  const root = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = await mkdtemp(path.join(root, 'homeostat-bench-'));
  const configFile = path.join(dir, 'bench.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 1,
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

  // The baseline parses the same body and answers the same status: what is left is our work.
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
  const baselineUrl = (await baseline.ready).href.replace(/\/$/, '');
  // Quiet wrangler's missing-secret warnings (read when wrangler loads, hence the late import).
  process.env.WRANGLER_LOG ??= 'error';
  const { startLocalStack } = await import('../lib/local-stack.ts');
  const stack = await startLocalStack({
    configFile,
    persistTo: path.join(dir, 'state'),
    host: '127.0.0.1',
    ports: { ingest: 0, triage: 0, 'canary-monitor': 0 },
    vars: { ingest: { BENCH_METRICS: '1', FLUSH_INTERVAL_SECONDS: '2' } },
  });
  const ingestUrl = stack.urls.ingest;
  const db = await stack.miniflare.getD1Database('DB', 'homeostat-ingest');
  try {
    console.log(
      `ingest benchmark: ${CONNECTIONS} connections × ${DURATION_S} s each, ${FINGERPRINTS} fingerprints, ${INSTALLS} installs, ${PII_SHARE * 100}% PII-laden events, local workerd, state in ${root}`,
    );
    // Warm both up so neither pays first-request compilation in its figures.
    await autocannon({
      url: `${baselineUrl}/v1/events`,
      amount: 200,
      method: 'POST',
      body: body(),
    });
    await autocannon({
      url: `${ingestUrl}/v1/events`,
      amount: 200,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
      requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
    });
    await new Promise((r) => setTimeout(r, 3_000));
    await fetch(`${ingestUrl}/__bench/metrics`, { method: 'DELETE' });
    const sizeBefore = await databaseBytes(db);
    const transitionsBefore = await count(db, 'SELECT count(*) AS n FROM fingerprint_transitions');

    const base = await load(baselineUrl);
    const ingest = await load(ingestUrl);
    // Let every Durable Object flush (FLUSH_INTERVAL_SECONDS = 2) and the queue deliver.
    await new Promise((r) => setTimeout(r, 8_000));
    const m = Metrics.parse(await (await fetch(`${ingestUrl}/__bench/metrics`)).json());
    const sizeAfter = await databaseBytes(db);
    const transitions =
      (await count(db, 'SELECT count(*) AS n FROM fingerprint_transitions')) - transitionsBefore;

    const per10k = (n: number) => Math.round((n / Math.max(1, m.events)) * 10_000);
    const rows: [string, string, string, string][] = [
      ['', 'req/s', 'p50 ms', 'p99 ms'],
      ['empty Worker (baseline)', base.rps.toFixed(0), String(base.p50), String(base.p99)],
      ['ingest', ingest.rps.toFixed(0), String(ingest.p50), String(ingest.p99)],
      [
        'ratio ingest/baseline',
        (ingest.rps / base.rps).toFixed(2),
        `${(ingest.p50 / Math.max(1, base.p50)).toFixed(2)}×`,
        `${(ingest.p99 / Math.max(1, base.p99)).toFixed(2)}×`,
      ],
    ];
    for (const r of rows)
      console.log(
        `  ${r[0].padEnd(26)}${r[1].padStart(10)}${r[2].padStart(10)}${r[3].padStart(10)}`,
      );
    console.log(
      `  non-2xx: baseline ${base.non2xx}, ingest ${ingest.non2xx}; errors: ${base.errors}, ${ingest.errors}; ingest requests ${m.requests}, events ${m.events}`,
    );
    console.log(`targets: throughput ≥ 0.50 of baseline, p99 ≤ 3× baseline`);
    console.log(`per 10,000 events:`);
    console.log(
      `  Durable Object calls   ${per10k(m.doCalls)} (${(m.doCalls / Math.max(1, m.events)).toFixed(2)} per event; target ≤ 2)`,
    );
    console.log(`  D1 batches             ${per10k(m.d1Batches)} (one per object flush)`);
    console.log(`  D1 statements          ${per10k(m.d1Statements)}`);
    console.log(`  D1 rows written        ${per10k(m.d1RowsWritten)}`);
    console.log(
      `  queue messages         ${per10k(m.queueMessages)} (${m.queueMessages} sent for ${transitions} transitions)`,
    );
    console.log(
      `  D1 writes bounded by flushes: ${m.d1Batches} batches for ${m.events} events over ${FINGERPRINTS} fingerprints`,
    );
    console.log(
      `mean bytes stored per event: ${((sizeAfter - sizeBefore) / Math.max(1, m.events)).toFixed(1)} (D1 file growth ${sizeAfter - sizeBefore} B)`,
    );
  } finally {
    await stack.stop();
    await baseline.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

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
  const result = await db.prepare('SELECT 1').run();
  return result.meta.size_after;
}

await main();
