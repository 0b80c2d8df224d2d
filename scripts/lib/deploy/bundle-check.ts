import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { DeployTarget } from './deploy-plan.ts';
import { mustRun, type WranglerRunner } from './wrangler-runner.ts';

const MIB = 1024 * 1024;

/**
 * Cloudflare's Worker limits (https://developers.cloudflare.com/workers/platform/limits/, read
 * 2026-12-06 from the search tool's stored copies). The page now gives one Worker size limit, 64
 * MiB uncompressed on every plan, the limit wrangler 4.164's bundle reporter checks
 * (MAX_UNCOMPRESSED_SIZE_BYTES); until 2026 it was 3 MB (Free) and 10 MB (Paid) after compression
 * (cloudflare/cloudflare-docs#31002 records the change). A bundle must pass all three, so an account
 * still under the old rule deploys too. Startup (parsing and running the global scope) is limited
 * to 1 second on both plans since 2025-10-10 (changelog "Worker startup time limit increased").
 */
export const WORKER_LIMITS = {
  rawBytes: 64 * MIB,
  gzipFreeBytes: 3 * MIB,
  gzipPaidBytes: 10 * MIB,
  startupMs: 1000,
} as const;

export interface BundleRow {
  worker: string;
  rawBytes: number;
  gzipBytes: number;
  /** CPU time of startup in a local profile, or undefined when it could not be measured. */
  startupMs: number | undefined;
  over: string[];
}

/** What wrangler uploads: the modules in --outdir, not the source map or the README it adds. */
async function measureModules(dir: string): Promise<{ raw: number; gzip: number }> {
  const names = (await readdir(dir)).filter((n) => !n.endsWith('.map') && n !== 'README.md').sort();
  const contents = await Promise.all(names.map((n) => readFile(path.join(dir, n))));
  if (contents.length === 0) throw new Error(`wrangler wrote no modules to ${dir}`);
  const all = Buffer.concat(contents);
  // The same measure as wrangler's bundle reporter: gzip of the modules concatenated.
  return { raw: all.byteLength, gzip: gzipSync(all).byteLength };
}

const CpuProfileSchema = z.looseObject({
  nodes: z.array(
    z.looseObject({ id: z.int(), callFrame: z.looseObject({ functionName: z.string() }) }),
  ),
  samples: z.array(z.int()).default([]),
  timeDeltas: z.array(z.number()).default([]),
});

/**
 * Active CPU time of a startup profile (Chrome's .cpuprofile, microseconds): the sampled time
 * minus `(idle)`, as `wrangler check startup` summarises it. Measured on this machine's CPU, not
 * Cloudflare's, so it is an estimate against the limit.
 */
export function startupActiveMs(profileJson: unknown): number {
  const profile = CpuProfileSchema.parse(profileJson);
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let active = 0;
  profile.timeDeltas.forEach((delta, i) => {
    if (names.get(profile.samples[i] ?? -1) !== '(idle)') active += delta;
  });
  return active / 1000;
}

/**
 * Builds one Worker exactly as a deploy would (`wrangler deploy --dry-run` with its real config),
 * measures what would be uploaded and profiles its startup with `wrangler check startup`.
 */
export async function checkBundle(
  run: WranglerRunner,
  target: DeployTarget,
  workDir: string,
  options: { startup: boolean },
): Promise<BundleRow> {
  const outDir = path.join(workDir, target.entry.name);
  await mustRun(run, ['deploy', '--dry-run', '--outdir', outDir, '--config', target.configPath]);
  const { raw, gzip } = await measureModules(outDir);
  let startupMs: number | undefined;
  if (options.startup) {
    const bundle = path.join(workDir, `${target.entry.name}.bundle`);
    const profile = path.join(workDir, `${target.entry.name}.cpuprofile`);
    await mustRun(run, ['deploy', '--dry-run', '--outfile', bundle, '--config', target.configPath]);
    await mustRun(run, [
      'check',
      'startup',
      '--worker',
      bundle,
      '--outfile',
      profile,
      '--config',
      target.configPath,
    ]);
    startupMs = startupActiveMs(JSON.parse(await readFile(profile, 'utf8')));
  }
  const over: string[] = [];
  if (raw > WORKER_LIMITS.rawBytes) over.push('size');
  if (gzip > WORKER_LIMITS.gzipFreeBytes) {
    over.push(gzip > WORKER_LIMITS.gzipPaidBytes ? 'gzip (Free and Paid)' : 'gzip (Free)');
  }
  if (startupMs !== undefined && startupMs > WORKER_LIMITS.startupMs) over.push('startup');
  return { worker: target.entry.name, rawBytes: raw, gzipBytes: gzip, startupMs, over };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
function pct(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(1)}%`;
}

export function formatBundleTable(rows: readonly BundleRow[]): string {
  const L = WORKER_LIMITS;
  const header = [
    'worker',
    'raw (limit 64 MiB)',
    'gzip (former limits 3 MiB Free / 10 MiB Paid)',
    'startup CPU (limit 1000 ms)',
    'verdict',
  ];
  const body = rows.map((r) => [
    r.worker,
    `${kib(r.rawBytes)} (${pct(r.rawBytes, L.rawBytes)})`,
    `${kib(r.gzipBytes)} (${pct(r.gzipBytes, L.gzipFreeBytes)} / ${pct(r.gzipBytes, L.gzipPaidBytes)})`,
    r.startupMs === undefined
      ? 'not measured'
      : `${r.startupMs.toFixed(1)} ms (${pct(r.startupMs, L.startupMs)})`,
    r.over.length === 0 ? 'ok' : `OVER: ${r.over.join(', ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...body.map(line)].join('\n').replace(/ +$/gm, '');
}
