import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, WORKERS } from './lib/workers.ts';

/**
 * Generates (or with --check, verifies) each Worker's Env types with `wrangler types`, one
 * Wrangler config at a time. `--strict-vars=false` types vars as string: their values differ per
 * environment and are validated at run time, not pinned to the dev value.
 */
const check = process.argv.includes('--check');
let failed = 0;
for (const w of WORKERS) {
  const args = ['types', '-c', w.configPath, w.typesPath, '--strict-vars=false'];
  if (check) args.push('--check');
  const result = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    // Secrets are typed from `[secrets] required`; process.env must not change the output.
    env: { ...process.env, CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false' },
  });
  if (result.status !== 0) {
    failed++;
    console.error(`${w.name}: ${check ? 'types are out of date' : 'wrangler types failed'}`);
    console.error(result.stdout, result.stderr);
  } else {
    console.log(`${w.name}: ${check ? 'types up to date' : `wrote ${w.typesPath}`}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
