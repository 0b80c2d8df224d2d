import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../workers.ts';

export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One wrangler invocation. `npm run deploy` spawns the project's wrangler; tests inject a fake
 * that answers in wrangler's formats (test/support/fake-wrangler.ts), since there is no
 * Cloudflare account here.
 */
export type WranglerRunner = (args: readonly string[]) => Promise<WranglerResult>;

/**
 * Runs the wrangler binary (the project's, or HOMEOSTAT_WRANGLER: the end-to-end test points it
 * at the fake). stdin is not a terminal, so wrangler takes its non-interactive defaults: it
 * confirms `d1 migrations apply` and never offers to edit a config.
 */
export function spawnWrangler(
  bin = process.env.HOMEOSTAT_WRANGLER ?? path.join(REPO_ROOT, 'node_modules/.bin/wrangler'),
): WranglerRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(bin, [...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Colours would have to be stripped before the outputs are read.
        env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

export class WranglerFailed extends Error {
  constructor(args: readonly string[], result: WranglerResult) {
    const output = `${result.stdout}${result.stderr}`.trim();
    super(`wrangler ${args.join(' ')} exited with ${result.code}${output ? `:\n${output}` : ''}`);
    this.name = 'WranglerFailed';
  }
}

/** Runs and insists on success. */
export async function mustRun(run: WranglerRunner, args: readonly string[]): Promise<string> {
  const result = await run(args);
  if (result.code !== 0) throw new WranglerFailed(args, result);
  return result.stdout;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters.
const ANSI = /\u001b\[[0-9;]*m/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
