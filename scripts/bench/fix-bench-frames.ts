import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { type ExtensionFrame, extensionFrames } from './fix-bench.schema.ts';
import type { BenchBug } from './fix-bench-runner.ts';

/**
 * A fix-bench frame in repository terms, for checking the corpus: package path → repository path
 * through the bug's `sourceRoots`, then, for a bundled file, through the `.map` committed beside it
 * (the product maps with the release's uploaded maps; workers/triage/src/fix/sourcemap/).
 */
export interface RepoFrame {
  frame: ExtensionFrame;
  /** The file the extension loads, in the repository. */
  loadedPath: string;
  /** Where the code is written: the original source for a mapped frame, else `loadedPath`. */
  path: string;
  line: number;
  /** 0-based, as the map speaks; for an unmapped frame, the frame's column − 1. */
  column: number;
  mapped: boolean;
}

/** The bug's extension frames, innermost first. */
export function bugFrames(bug: Pick<BenchBug, 'error'>): ExtensionFrame[] {
  return extensionFrames(bug.error.stack, `${bug.error.type}: ${bug.error.message}`);
}

/** The repository path a package path was built from, by the longest matching source root. */
export function packageToRepoPath(
  bug: Pick<BenchBug, 'sourceRoots'>,
  packagePath: string,
): string | null {
  const roots = [...bug.sourceRoots]
    .filter((root) => packagePath.startsWith(root.from))
    .sort((a, b) => b.from.length - a.from.length);
  const root = roots[0];
  if (!root) return null;
  return path.posix.normalize(root.to + packagePath.slice(root.from.length));
}

export async function resolveFrame(
  bug: Pick<BenchBug, 'dir' | 'sourceRoots'>,
  frame: ExtensionFrame,
): Promise<RepoFrame | null> {
  const loadedPath = packageToRepoPath(bug, frame.packagePath);
  if (loadedPath === null) return null;
  const unmapped = {
    frame,
    loadedPath,
    path: loadedPath,
    line: frame.line,
    column: frame.column - 1,
    mapped: false,
  };
  let map: string;
  try {
    map = await readFile(path.join(bug.dir, `${loadedPath}.map`), 'utf8');
  } catch {
    return unmapped;
  }
  const trace = new TraceMap(map);
  const original = originalPositionFor(trace, { line: frame.line, column: frame.column - 1 });
  if (original.source === null) return null;
  return {
    frame,
    loadedPath,
    path: path.posix.normalize(path.posix.join(path.posix.dirname(loadedPath), original.source)),
    line: original.line,
    column: original.column,
    mapped: true,
  };
}
