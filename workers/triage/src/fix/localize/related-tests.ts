import { isScriptPath } from './parse-source.ts';

/**
 * The tests of a source file (issue 9, item 3: the context holds "their tests", and guardrails
 * let a candidate change them but never delete assertions). Conventions recognised, for
 * `src/popup/render.ts`: `render.test.*` and `render.spec.*` (beside it or anywhere), and
 * `render.*` inside a `test/`, `tests/`, `__tests__/` or `spec/` directory. A test is related when
 * its directories, once the conventional roots and test directories are removed, end like the
 * source's: `test/popup/render.test.js` and `src/popup/__tests__/render.spec.tsx` match,
 * `test/options/render.test.js` does not. The closest come first: beside the source, below its
 * directory, then the most directories in common.
 */

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs', '__test__']);
const ROOT_DIRS = new Set(['src', 'lib', 'source', 'app', 'extension']);
const TEST_NAME = /\.(?:test|spec)$/;

function stemOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(0, dot);
}

/** Directory segments that say where in the extension a file is, without roots and test dirs. */
function meaningfulDirs(path: string): string[] {
  return path
    .split('/')
    .slice(0, -1)
    .filter((s) => !TEST_DIRS.has(s) && !ROOT_DIRS.has(s));
}

export function isTestPath(path: string): boolean {
  return (
    TEST_NAME.test(stemOf(path)) ||
    path
      .split('/')
      .slice(0, -1)
      .some((s) => TEST_DIRS.has(s))
  );
}

function commonSuffix(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

export function relatedTests(source: string, paths: readonly string[], max = 2): string[] {
  if (isTestPath(source)) return [];
  const stem = stemOf(source);
  const dirs = meaningfulDirs(source);
  const sourceDir = source.slice(0, source.lastIndexOf('/') + 1);
  const found: { path: string; score: number }[] = [];
  for (const path of paths) {
    if (path === source || !isScriptPath(path) || path.endsWith('.d.ts')) continue;
    const testStem = stemOf(path);
    const named = TEST_NAME.test(testStem);
    const base = named ? testStem.replace(TEST_NAME, '') : testStem;
    if (base !== stem) continue;
    const inTestDir = path
      .split('/')
      .slice(0, -1)
      .some((s) => TEST_DIRS.has(s));
    if (!named && !inTestDir) continue;
    const candidateDirs = meaningfulDirs(path);
    const shared = commonSuffix(dirs, candidateDirs);
    // The directories must agree as far as both go: one being a suffix of the other.
    if (shared < Math.min(dirs.length, candidateDirs.length)) continue;
    // Generic names (`index`, `utils`) need a shared directory to mean the same file.
    if (shared === 0 && dirs.length > 0 && /^(?:index|main|utils?|helpers?)$/.test(stem)) continue;
    // Beside the source, then below its directory (`__tests__/`), then elsewhere.
    const near = path.startsWith(sourceDir);
    const besides = near && !path.slice(sourceDir.length).includes('/');
    const score = (besides ? 100 : near ? 50 : 0) + shared * 10 - path.length / 1000;
    found.push({ path, score });
  }
  return found
    .sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1))
    .slice(0, max)
    .map((f) => f.path);
}
