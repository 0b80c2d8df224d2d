import type { RepositoryConfig } from '@homeostat/shared';
import { matchesAny } from '../../issue/path-glob.ts';
import { repoPathFor } from '../../issue/stack-frames.ts';
import { normalizeRepoPath } from '../source/repo-path.ts';

/**
 * Library code kept in the repository: never the extension's own code, whatever the config's
 * `paths.include` says (the same conventions parse-stack.ts applies to frame URLs: Sentry's
 * `node_modules` rule plus the vendor directories extensions use).
 */
const LIBRARY_PATH = /(?:^|\/)(?:node_modules|bower_components|vendors?|third[_-]party)\//i;

export function isLibraryPath(path: string): boolean {
  return LIBRARY_PATH.test(path);
}

/** Inside `paths.include`, outside `paths.exclude`, not library code: the fixer may touch it. */
export function isEditablePath(path: string, repo: RepositoryConfig): boolean {
  return (
    !isLibraryPath(path) &&
    matchesAny(path, repo.paths.include) &&
    !matchesAny(path, repo.paths.exclude)
  );
}

/** Compiled JavaScript next to its TypeScript source: `x.js` may be built from `x.ts`. */
const SOURCE_SWAPS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.jsx'],
  '.mjs': ['.mts', '.ts'],
  '.cjs': ['.cts', '.ts'],
  '.jsx': ['.tsx'],
};

/**
 * The repository file a package file most likely came from: the path itself, else the same name
 * with a TypeScript (or JSX) extension, since `tsc` and esbuild emit `x.js` for `x.ts`. Lines of a
 * swapped file are only approximately right (type annotations removed); they still point at the
 * right file, which is what the fix bench measures (issue 9, item 3).
 */
export function findSourceFile(path: string, has: (path: string) => boolean): string | null {
  if (has(path)) return path;
  const dot = path.lastIndexOf('.');
  const ext = dot < 0 ? '' : path.slice(dot);
  for (const swap of SOURCE_SWAPS[ext] ?? []) {
    const candidate = `${path.slice(0, dot)}${swap}`;
    if (has(candidate)) return candidate;
  }
  return null;
}

/**
 * A package path (`/js/bg.js`, as in `chrome-extension://<id>/js/bg.js`) to a repository path
 * through `sourceRoots`; null when no root covers it or it would leave the repository.
 */
export function packageToRepoPath(packagePath: string, repo: RepositoryConfig): string | null {
  const mapped = repoPathFor(packagePath.startsWith('/') ? packagePath : `/${packagePath}`, repo);
  return mapped === null ? null : normalizeRepoPath(mapped);
}
