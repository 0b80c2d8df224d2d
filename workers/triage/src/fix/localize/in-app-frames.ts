import { parseStack, type RepositoryConfig } from '@homeostat/shared';
import type { ResolvedFrame } from '../fix.types.ts';
import { normalizeRepoPath } from '../source/repo-path.ts';
import type { FrameMapper } from './frame-mapper.ts';
import { findSourceFile, isEditablePath, packageToRepoPath } from './path-filters.ts';

/**
 * The extension's own frames of a (scrubbed) sample stack, and their repository locations
 * (issue 9, item 3: "in-app frames only"). A frame is the extension's own code when its URL is
 * `chrome-extension://<id>/…` for ANY id (unpacked and store builds of one release have different
 * ids, docs/architecture.md#chrome-field-notes) and parse-stack.ts did not mark it as a bundled
 * library or an inlined compiler helper. Each is mapped through the release's source maps first,
 * then through `sourceRoots`, and kept only if it lands on a file of the snapshot that the config
 * lets the fixer touch.
 */

export const MAX_FRAMES = 30;

export interface PackageFrame {
  packagePath: string;
  line: number;
  column: number | null;
  function: string | null;
}

const EXTENSION_URL = /^chrome-extension:\/\/[a-p]{32}(\/[^?#]*)/;

function decodePath(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

/** The stack's frames that run the extension's own packaged files, innermost first. */
export function extensionFrames(stack: string, maxFrames = MAX_FRAMES): PackageFrame[] {
  const out: PackageFrame[] = [];
  for (const frame of parseStack(stack).slice(0, maxFrames)) {
    if (!frame.inApp || frame.eval || frame.native || frame.file === null || frame.line === null) {
      continue;
    }
    const m = EXTENSION_URL.exec(frame.file);
    const packagePath = m?.[1] === undefined ? null : decodePath(m[1]);
    if (packagePath === null || packagePath === '/') continue;
    out.push({
      packagePath,
      line: frame.line,
      column: frame.column,
      function: frame.function,
    });
  }
  return out;
}

export type FrameDropReason =
  /** The map or the source roots name a path outside the repository. */
  | 'outside_repo'
  /** A repository path, but no such file in the snapshot (or no source root covers it). */
  | 'not_in_repo'
  /** In `paths.exclude`, outside `paths.include`, or library code. */
  | 'excluded';

export type FrameResolution =
  | { ok: true; frame: ResolvedFrame }
  | { ok: false; reason: FrameDropReason };

export interface FrameContext {
  mapper: FrameMapper;
  extensionId: string;
  version: string;
  repo: RepositoryConfig;
  has: (path: string) => boolean;
}

function place(
  rawPath: string,
  ctx: FrameContext,
): { ok: true; path: string } | { ok: false; reason: FrameDropReason } {
  const normalized = normalizeRepoPath(rawPath);
  if (normalized === null) return { ok: false, reason: 'outside_repo' };
  const path = findSourceFile(normalized, ctx.has);
  if (path === null) return { ok: false, reason: 'not_in_repo' };
  if (!isEditablePath(path, ctx.repo)) return { ok: false, reason: 'excluded' };
  return { ok: true, path };
}

/**
 * Source map first; when there is none, it has no mapping, it does not parse, or it points at a
 * file the fixer may not use, `sourceRoots` (a repository that commits its unbundled files needs
 * no map at all). The more telling failure is reported when both fail.
 */
export async function resolveFrame(
  frame: PackageFrame,
  ctx: FrameContext,
): Promise<FrameResolution> {
  let mapped: FrameResolution | null = null;
  const mapping = await ctx.mapper.map({
    extensionId: ctx.extensionId,
    version: ctx.version,
    packagePath: frame.packagePath,
    line: frame.line,
    column: frame.column,
  });
  if (mapping.ok) {
    const placed = place(mapping.path, ctx);
    if (placed.ok) {
      return {
        ok: true,
        frame: {
          function: mapping.function ?? frame.function,
          path: placed.path,
          line: mapping.line,
          column: mapping.column,
          via: 'source_map',
        },
      };
    }
    mapped = placed;
  }
  const rooted = packageToRepoPath(frame.packagePath, ctx.repo);
  const placed =
    rooted === null
      ? ({
          ok: false,
          reason: frame.packagePath.includes('..') ? 'outside_repo' : 'not_in_repo',
        } as const)
      : place(rooted, ctx);
  if (placed.ok) {
    return {
      ok: true,
      frame: {
        function: frame.function,
        path: placed.path,
        line: frame.line,
        column: frame.column,
        via: 'source_roots',
      },
    };
  }
  return mapped ?? placed;
}
