import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { z } from 'zod';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';

const Urls = z.object({ ingest: z.url(), triage: z.url(), 'canary-monitor': z.url() });
export type StackUrls = z.infer<typeof Urls>;

export interface StackProcess {
  child: ChildProcess;
  urls: StackUrls;
  output(): string;
  /** Sends SIGINT to the whole process group, as Ctrl-C in a terminal does. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `npm start -- <args>` the way a developer does and waits for its ready line. */
export async function startStack(args: string[], timeoutMs = 60_000): Promise<StackProcess> {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  const urls = await new Promise<StackUrls>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /homeostat: ready (\{.*\})/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Urls.parse(JSON.parse(match[1])));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before it was ready:\n${output}`));
    });
  });
  return {
    child,
    urls,
    output: () => output,
    async interrupt() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGINT');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      return { code, signal };
    },
  };
}

/** Runs `npm start -- <args>` expecting it to fail before it is ready. */
export async function startStackExpectingFailure(args: string[]) {
  const run = promisify(execFile);
  try {
    await run('npm', ['start', '--', ...args], { cwd: REPO_ROOT, timeout: 60_000 });
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? null, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
  throw new Error('npm start succeeded');
}

/** Queries the persisted local D1 with wrangler itself, proving the state is wrangler's layout. */
export async function queryLocalD1(persistTo: string, sql: string): Promise<unknown[]> {
  const run = promisify(execFile);
  const { stdout } = await run(
    'node_modules/.bin/wrangler',
    [
      'd1',
      'execute',
      'homeostat',
      '--local',
      '--persist-to',
      persistTo,
      '--json',
      '--command',
      sql,
    ],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  const parsed = z.array(z.object({ results: z.array(z.unknown()) })).parse(JSON.parse(stdout));
  return parsed.flatMap((p) => p.results);
}
