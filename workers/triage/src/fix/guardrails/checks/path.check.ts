import type { RepositoryConfig } from '@homeostat/shared';
import { matchesAny } from '../../../issue/path-glob.ts';
import type { FixContext } from '../../fix.types.ts';
import { isTestPath } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { protectedPathMatch } from '../protected-paths.ts';

/**
 * Where a change may land (docs/architecture.md#guardrails; research ai-autofix.md §8 T3): a valid
 * repository path, among the context's editable files (in-app stack files, their direct imports
 * and tests) or a new test beside one of them, inside the repository's `paths.include/exclude`,
 * never a protected file, and against the exact content the context read.
 */

/** Why `path` is not a normalised repository path (fix.types.ts), or null. Paths are refused, never repaired. */
export function pathProblem(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.length > 1024) return 'path too long';
  if (path.includes('\0')) return 'NUL character in path';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in path';
  if (/[\p{Cf}\p{Zl}\p{Zp}\p{Co}]/u.test(path)) return 'invisible character in path';
  if (path.includes('\\')) return 'backslash in path';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[a-z]:/i.test(path)) return 'drive-letter path';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment === '.') return "'.' segment";
    if (segment === '..') return "'..' segment";
    // Windows drops a trailing dot or space: `manifest.json.` would be written as `manifest.json`.
    if (/[. ]$|^ /.test(segment))
      return 'path segment with a leading space or trailing dot or space';
  }
  if (path.normalize('NFC') !== path) return 'path not in Unicode NFC';
  return null;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `popup.test.ts` → `popup`, `test_popup.js` → `popup`, `popup.ts` → `popup`. */
function stem(path: string): string {
  return basename(path)
    .replace(/\.[cm]?[jt]sx?$/i, '')
    .replace(/(\.test|\.spec|_test)$/i, '')
    .replace(/^test_/i, '');
}

/**
 * A new test file may sit beside an editable source file: same stem, in the same folder, in a
 * test folder under it, or under a top-level test folder (`test/`, `tests/`, `__tests__/`).
 */
export function isNewTestFor(path: string, editable: readonly string[]): boolean {
  if (!isTestPath(path) || !/\.[cm]?[jt]sx?$/i.test(path)) return false;
  const s = stem(path);
  const dir = dirname(path);
  const top = path.split('/')[0] ?? '';
  return editable.some((e) => {
    if (isTestPath(e) || stem(e) !== s) return false;
    const d = dirname(e);
    const prefix = d === '' ? '' : `${d}/`;
    return (
      dir === d ||
      [`${prefix}__tests__`, `${prefix}test`, `${prefix}tests`].includes(dir) ||
      (dir !== '' && ['test', 'tests', '__tests__', 'spec'].includes(top))
    );
  });
}

export function checkPlacement(
  path: string,
  before: string,
  ctx: FixContext,
  repo: RepositoryConfig,
): GuardrailRejection[] {
  const out: GuardrailRejection[] = [];
  const known = Object.hasOwn(ctx.files, path) ? ctx.files[path] : undefined;
  const created = before === '' && (known === undefined || known.content === '');
  if (!ctx.editablePaths.includes(path) && !(created && isNewTestFor(path, ctx.editablePaths))) {
    out.push({
      reason: 'path_not_editable',
      path,
      detail: created
        ? 'a new file that is not a test beside an editable file'
        : 'not among the stack files, their direct imports and tests',
    });
  }
  if (!matchesAny(path, repo.paths.include) || matchesAny(path, repo.paths.exclude)) {
    out.push({ reason: 'path_excluded', path, detail: "outside the repository's paths" });
  }
  const prot = protectedPathMatch(path);
  if (prot !== null) {
    out.push({
      reason: 'protected_path',
      path,
      detail:
        prot === 'directory'
          ? 'inside a protected folder (CI, git, editor or dependencies)'
          : 'a manifest, dependency, CI or build file',
    });
  }
  // The verdict is about the diff against what the context read; a `before` that differs from it
  // (or a "new" file that exists) would let the checks compare against text the repository lacks.
  if (known !== undefined ? known.content !== before : before !== '') {
    out.push({
      reason: 'base_mismatch',
      path,
      detail: 'the change does not start from the file the context read',
    });
  }
  return out;
}
