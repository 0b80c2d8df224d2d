import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What the bench reads besides autocannon's figures: the ingest Worker's own counters, the CPU
 * time of the workerd processes, and the size of the Durable Objects' local storage.
 */

/**
 * `GET /__bench/metrics` (bench-env.ts in the ingest Worker). Counters newer than a Worker may
 * lack are optional: the bench says which figures it could not measure instead of failing.
 */
export const MetricsSchema = z.object({
  requests: z.number(),
  events: z.number(),
  doCalls: z.number(),
  d1Batches: z.number(),
  d1Statements: z.number(),
  d1RowsWritten: z.number(),
  d1RowsRead: z.number().optional(),
  queueMessages: z.number(),
  /** Rows the Durable Objects' own SQLite storage wrote and read (billed since January 2026). */
  doRowsWritten: z.number().optional(),
  doRowsRead: z.number().optional(),
});
export type Metrics = z.infer<typeof MetricsSchema>;

export async function readMetrics(ingestUrl: string): Promise<Metrics> {
  const res = await fetch(`${ingestUrl}/__bench/metrics`);
  if (!res.ok) throw new Error(`bench metrics: HTTP ${res.status}`);
  return MetricsSchema.parse(await res.json());
}

export async function resetMetrics(ingestUrl: string): Promise<void> {
  await fetch(`${ingestUrl}/__bench/metrics`, { method: 'DELETE' });
}

/** Linux reports process CPU in clock ticks of USER_HZ, 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** Process ids of this process's workerd children (Miniflare runs one workerd per instance). */
export function workerdPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'workerd' && ppid === process.pid) pids.push(Number(name));
    } catch {
      // The process ended between listing and reading.
    }
  }
  return pids;
}

/** User + system CPU milliseconds of these processes (all their threads), from /proc. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // An ended process contributes nothing more.
    }
  }
  return (ticks / TICKS_PER_SECOND) * 1000;
}

/**
 * Bytes of the Durable Objects' SQLite databases under Miniflare's persistence root: the main
 * files only (a WAL holds page images until a checkpoint, not data kept). D1 is itself a Durable
 * Object in Miniflare: its directory is left out.
 */
export function durableObjectBytes(persistRoot: string): number {
  const doRoot = path.join(persistRoot, 'v3', 'do');
  let bytes = 0;
  let classes: string[];
  try {
    classes = readdirSync(doRoot);
  } catch {
    return 0;
  }
  for (const dir of classes) {
    if (dir.includes('D1Database')) continue;
    for (const file of readdirSync(path.join(doRoot, dir))) {
      if (!file.endsWith('.sqlite')) continue;
      try {
        bytes += statSync(path.join(doRoot, dir, file)).size;
      } catch {
        // A WAL checkpointed away between listing and reading.
      }
    }
  }
  return bytes;
}
