import { z } from 'zod';
import { mustRun, stripAnsi, WranglerFailed, type WranglerRunner } from './wrangler-runner.ts';

/**
 * Finds or creates the account resources the configs name, each through wrangler, so that
 * re-running `npm run deploy` creates nothing twice. Every existence check reads a format
 * wrangler 4 documents or prints (wrangler-dist/cli.js): `d1 list --json` is JSON; `queues info`
 * fails with `Queue "<name>" does not exist.`; `r2 bucket list` prints `name:` lines.
 */

export interface EnsureResult {
  name: string;
  created: boolean;
}

const D1ListSchema = z.array(z.looseObject({ uuid: z.string().min(1), name: z.string() }));

async function findDatabase(run: WranglerRunner, name: string): Promise<string | undefined> {
  const out = await mustRun(run, ['d1', 'list', '--json']);
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    throw new Error(`wrangler d1 list --json did not print JSON: ${out.slice(0, 200)}`);
  }
  return D1ListSchema.parse(json).find((d) => d.name === name)?.uuid;
}

/** The database's id, creating the database when the account has none of that name. */
export async function ensureDatabase(
  run: WranglerRunner,
  name: string,
): Promise<EnsureResult & { id: string }> {
  const existing = await findDatabase(run, name);
  if (existing !== undefined) return { name, id: existing, created: false };
  await mustRun(run, ['d1', 'create', name]);
  // The id is read back from the list rather than from the create command's config snippet.
  const id = await findDatabase(run, name);
  if (id === undefined)
    throw new Error(`wrangler d1 create ${name} succeeded but it is not listed`);
  return { name, id, created: true };
}

export async function ensureQueue(run: WranglerRunner, name: string): Promise<EnsureResult> {
  const args = ['queues', 'info', name];
  const info = await run(args);
  const output = stripAnsi(`${info.stdout}\n${info.stderr}`);
  if (info.code === 0 && output.includes(`Queue Name: ${name}`)) return { name, created: false };
  if (info.code === 0 || !output.includes(`Queue "${name}" does not exist`)) {
    throw new WranglerFailed(args, info);
  }
  await mustRun(run, ['queues', 'create', name]);
  return { name, created: true };
}

/** Bucket names as `wrangler r2 bucket list` prints them (`name:` then the name, per bucket). */
export function parseBucketList(stdout: string): string[] {
  return [...stripAnsi(stdout).matchAll(/^name:\s+(\S+)\s*$/gm)].map((m) => m[1] ?? '');
}

export async function ensureBuckets(
  run: WranglerRunner,
  names: readonly string[],
): Promise<EnsureResult[]> {
  if (names.length === 0) return [];
  const existing = new Set(parseBucketList(await mustRun(run, ['r2', 'bucket', 'list'])));
  const results: EnsureResult[] = [];
  for (const name of names) {
    if (existing.has(name)) {
      results.push({ name, created: false });
    } else {
      await mustRun(run, ['r2', 'bucket', 'create', name]);
      results.push({ name, created: true });
    }
  }
  return results;
}

const SecretListSchema = z.array(z.looseObject({ name: z.string() }));

/**
 * The secrets a deployed Worker has (`wrangler secret list` prints JSON by default), or
 * undefined when wrangler cannot tell.
 */
export async function listSecrets(
  run: WranglerRunner,
  configPath: string,
): Promise<Set<string> | undefined> {
  const result = await run(['secret', 'list', '--config', configPath]);
  if (result.code !== 0) return undefined;
  try {
    return new Set(SecretListSchema.parse(JSON.parse(result.stdout)).map((s) => s.name));
  } catch {
    return undefined;
  }
}
