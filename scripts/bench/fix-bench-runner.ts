import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeIssues } from '@homeostat/shared';
import { type FixBenchBug, FixBenchBugSchema, RepoPathSchema } from './fix-bench.schema.ts';

/**
 * The fix bench's fixture half (issue 9 item 8): load the seeded bugs, copy one fixture to a temp
 * directory, run its tests there with this same Node, apply file changes, run them again. The
 * engine half (scripts/bench/fix.ts) posts each bug's error, runs the fixer and hands the
 * candidate's changes to `applyChanges`.
 *
 * `npm exec -- node scripts/bench/fix-bench-runner.ts [id…]` checks the corpus itself: every
 * fixture's tests fail as seeded and pass once its scripted model answer is applied.
 */

export const FIX_BENCH_DIR = path.resolve(import.meta.dirname, '../../test/fixtures/fix-bench');
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** A bug, with its fixture directory (absolute). */
export type BenchBug = FixBenchBug & { dir: string };

/** What a file change needs here: the candidate's FileChange has `before` too. */
export interface BenchChange {
  path: string;
  after: string;
}

export interface TestRun {
  /** Exit code 0, and not killed. */
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** From the TAP summary (`# pass n`, `# fail n`); null when the run printed none. */
  pass: number | null;
  fail: number | null;
  /** stdout and stderr, the last `MAX_OUTPUT` characters. */
  output: string;
}

const MAX_BUG_JSON_BYTES = 256 * 1024;
const MAX_OUTPUT = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Every fixture's bug, validated, sorted by id. A bad bug.json stops the bench, naming it. */
export async function loadBugs(root: string = FIX_BENCH_DIR): Promise<BenchBug[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const bugs: BenchBug[] = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const dir = path.join(root, entry.name);
    const text = await readFile(path.join(dir, 'bug.json'), 'utf8');
    if (text.length > MAX_BUG_JSON_BYTES) throw new Error(`${entry.name}/bug.json is too large`);
    const parsed = FixBenchBugSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`${entry.name}/bug.json: ${describeIssues(parsed.error.issues).join('; ')}`);
    }
    if (parsed.data.id !== entry.name) {
      throw new Error(`${entry.name}/bug.json: id must be the directory name`);
    }
    bugs.push({ ...parsed.data, dir });
  }
  return bugs.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Copies the fixture to a fresh temp directory (the repository as the engine would see it: no
 * bug.json), runs `fn` there, and removes the copy whatever happens.
 */
export async function withFixtureCopy<T>(
  bug: Pick<BenchBug, 'id' | 'dir'>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), `fix-bench-${bug.id}-`));
  try {
    await cp(bug.dir, dir, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(bug.dir, source);
        return relative !== 'bug.json' && !relative.split(path.sep).includes('node_modules');
      },
    });
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes each change's `after` to its repository path inside `dir`; refuses any other path. */
export async function applyChanges(dir: string, changes: readonly BenchChange[]): Promise<void> {
  for (const change of changes) {
    const file = fixturePath(dir, change.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, change.after);
  }
}

function fixturePath(dir: string, repoPath: string): string {
  if (!RepoPathSchema.safeParse(repoPath).success) {
    throw new Error(`not a repository path: ${JSON.stringify(repoPath.slice(0, 200))}`);
  }
  return path.join(dir, ...repoPath.split('/'));
}

/**
 * Runs the fixture's tests (`node --test`, its package.json's test script) in `dir` with the Node
 * that runs this process, with a clean environment and a time limit that kills the whole
 * process group.
 */
export function runFixtureTests(
  dir: string,
  { timeoutMs = DEFAULT_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<TestRun> {
  return runNode(dir, ['--test', '--test-reporter=tap'], timeoutMs).then((run) => ({
    ...run,
    pass: tapCount(run.output, 'pass'),
    fail: tapCount(run.output, 'fail'),
  }));
}

/**
 * Rebuilds a bundled fixture's dist/ with its own build.mjs. The fixture has no dependencies of its
 * own: its `esbuild` import resolves to this repository's, linked in for the build only.
 */
export async function rebuildFixture(
  dir: string,
  { timeoutMs = DEFAULT_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<Omit<TestRun, 'pass' | 'fail'>> {
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules, { recursive: true });
  await symlink(path.join(REPO_ROOT, 'node_modules', 'esbuild'), path.join(modules, 'esbuild'));
  try {
    return await runNode(dir, ['build.mjs'], timeoutMs);
  } finally {
    await rm(modules, { recursive: true, force: true });
  }
}

function tapCount(output: string, what: 'pass' | 'fail'): number | null {
  const found = new RegExp(`^# ${what} (\\d+)$`, 'm').exec(output);
  return found ? Number(found[1]) : null;
}

function runNode(
  cwd: string,
  args: string[],
  timeoutMs: number,
): Promise<Omit<TestRun, 'pass' | 'fail'>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Only what a CI job would have: no NODE_OPTIONS or loaders from whoever started the bench.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', NO_COLOR: '1' };
    if (process.env.HOME) env.HOME = process.env.HOME;
    if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
    const child = spawn(process.execPath, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({
        passed: exitCode === 0 && !timedOut,
        exitCode,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        output,
      });
    });
  });
}

/**
 * The scripted answers' own applier, for checking the corpus only (the product's applier is
 * workers/triage/src/fix/model/). Blocks as docs/architecture.md#model-output-format writes them;
 * each SEARCH must occur exactly once, verbatim, in the file as the earlier blocks left it.
 */
export async function scriptedAnswerChanges(dir: string, answer: string): Promise<BenchChange[]> {
  const BLOCK =
    /^([^\n<>=]+)\n<<<<<<< SEARCH\n([\s\S]*?)(?:^|\n)=======\n([\s\S]*?)(?:^|\n)>>>>>>> REPLACE$/gm;
  const files = new Map<string, string>();
  let blocks = 0;
  for (const [, rawPath = '', search = '', replace = ''] of answer.matchAll(BLOCK)) {
    blocks += 1;
    const repoPath = rawPath.trim();
    const before = files.get(repoPath) ?? (await readFile(fixturePath(dir, repoPath), 'utf8'));
    const at = before.indexOf(search);
    if (search === '' || at < 0) throw new Error(`${repoPath}: SEARCH block ${blocks} not found`);
    if (before.indexOf(search, at + 1) >= 0) {
      throw new Error(`${repoPath}: SEARCH block ${blocks} matches more than once`);
    }
    files.set(repoPath, before.slice(0, at) + replace + before.slice(at + search.length));
  }
  if (blocks === 0) throw new Error('no SEARCH/REPLACE block in the answer');
  return [...files].map(([p, after]) => ({ path: p, after }));
}

/** Seeded tests fail, the scripted answer makes them pass: one line per bug. */
async function selfCheck(ids: string[]): Promise<boolean> {
  const bugs = (await loadBugs()).filter((bug) => ids.length === 0 || ids.includes(bug.id));
  let ok = true;
  for (const bug of bugs) {
    const line = await withFixtureCopy(bug, async (dir) => {
      const seeded = await runFixtureTests(dir);
      await applyChanges(dir, await scriptedAnswerChanges(dir, bug.modelAnswer));
      const fixed = await runFixtureTests(dir);
      const good = !seeded.passed && fixed.passed;
      ok &&= good;
      return `${good ? 'ok  ' : 'FAIL'} ${bug.id.padEnd(30)} ${bug.class.padEnd(30)} seeded ${seeded.pass}/${seeded.fail} fixed ${fixed.pass}/${fixed.fail}`;
    });
    console.log(line);
  }
  return ok;
}

if (import.meta.main) {
  process.exitCode = (await selfCheck(process.argv.slice(2))) ? 0 : 1;
}
