import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, WORKERS } from './lib/workers.ts';

/**
 * Generates (or with --check, verifies) the Workers' types with `wrangler types`.
 *
 * The runtime types (~16,000 lines, a function of workerd's version, the compatibility date and
 * flags only) are generated once into RUNTIME_TYPES_PATH; each Worker's own file holds only its
 * `Env` (`--include-runtime=false`). Issue 14 item 7: three identical copies were 78% of the
 * tree's lines. One runtime file needs the three configs to agree on date and flags; --check
 * asserts that for each config (wrangler compares the runtime header: workerd version, date,
 * flags) and compares the file with a fresh generation byte for byte. Should a Worker ever need
 * other flags, it gets its own runtime file again.
 *
 * `--strict-vars=false` types vars as string: their values differ per environment and are
 * validated at run time, not pinned to the dev value.
 */
const RUNTIME_TYPES_PATH = 'workers/worker-runtime.d.ts';

const check = process.argv.includes('--check');
const wrangler = path.join(REPO_ROOT, 'node_modules/.bin/wrangler');

function run(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(wrangler, ['types', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    // Secrets are typed from `[secrets] required`; process.env must not change the output.
    env: { ...process.env, CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false' },
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

let failed = 0;
function report(name: string, ok: boolean, good: string, bad: string, output: string): void {
  if (ok) {
    console.log(`${name}: ${good}`);
  } else {
    failed++;
    console.error(`${name}: ${bad}`);
    console.error(output);
  }
}

// Runtime types: generated from the first Worker's config; every config must agree with them.
const [first] = WORKERS;
if (first === undefined) throw new Error('no Workers configured');
if (check) {
  const dir = await mkdtemp(path.join(tmpdir(), 'homeostat-types-'));
  try {
    const fresh = path.join(dir, 'runtime.d.ts');
    const generated = run(['-c', first.configPath, fresh, '--include-env=false']);
    const same =
      generated.ok &&
      readFileSync(fresh, 'utf8') ===
        readFileSync(path.join(REPO_ROOT, RUNTIME_TYPES_PATH), 'utf8');
    report(
      'runtime',
      same,
      'types up to date',
      `${RUNTIME_TYPES_PATH} differs from what wrangler types generates`,
      generated.output,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else {
  const r = run(['-c', first.configPath, RUNTIME_TYPES_PATH, '--include-env=false']);
  report('runtime', r.ok, `wrote ${RUNTIME_TYPES_PATH}`, 'wrangler types failed', r.output);
}

for (const w of WORKERS) {
  if (check) {
    // Same workerd version, compatibility date and flags as the shared runtime file.
    const runtime = run(['-c', w.configPath, RUNTIME_TYPES_PATH, '--include-env=false', '--check']);
    report(
      w.name,
      runtime.ok,
      'compatibility date and flags match the runtime types',
      `its compatibility date or flags differ from ${RUNTIME_TYPES_PATH}`,
      runtime.output,
    );
  }
  const args = ['-c', w.configPath, w.typesPath, '--include-runtime=false', '--strict-vars=false'];
  if (check) args.push('--check');
  const env = run(args);
  report(
    w.name,
    env.ok,
    check ? 'Env types up to date' : `wrote ${w.typesPath}`,
    check ? 'Env types are out of date' : 'wrangler types failed',
    env.output,
  );
}
process.exitCode = failed === 0 ? 0 : 1;
