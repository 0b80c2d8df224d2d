import type { RepositoryConfig } from '@homeostat/shared';
import { matchesAny } from './path-glob.ts';

/**
 * Finds the extension's own frames in a (scrubbed) stack trace and maps them to repository paths
 * through `sourceRoots`, so the issue can mark in-app frames and the policy can see which files
 * are involved. V8 frames look like `at fn (chrome-extension://<id>/path.js:1:2)` or
 * `at chrome-extension://<id>/path.js:1:2` (docs/architecture.md#chrome-field-notes).
 */

const FRAME_URL = /chrome-extension:\/\/[a-p]{32}(\/[^\s:)]*)(?::\d+){0,2}/;

export interface StackLine {
  text: string;
  /** Repository path when the frame is the extension's own code inside the configured paths. */
  inAppPath: string | null;
}

export function repoPathFor(packagePath: string, repo: RepositoryConfig): string | null {
  // The most specific source root wins.
  const root = [...repo.sourceRoots]
    .sort((a, b) => b.from.length - a.from.length)
    .find((r) => packagePath.startsWith(r.from));
  if (root === undefined) return null;
  return `${root.to}${packagePath.slice(root.from.length)}`.replace(/^\/+/, '');
}

export function analyseStack(stack: string, repo: RepositoryConfig, maxFrames = 30): StackLine[] {
  const lines = stack.split('\n').slice(0, maxFrames + 1);
  return lines.map((text) => {
    const m = FRAME_URL.exec(text);
    const packagePath = m?.[1];
    if (packagePath === undefined) return { text, inAppPath: null };
    const path = repoPathFor(packagePath, repo);
    const inApp =
      path !== null &&
      matchesAny(path, repo.paths.include) &&
      !matchesAny(path, repo.paths.exclude);
    return { text, inAppPath: inApp ? path : null };
  });
}
