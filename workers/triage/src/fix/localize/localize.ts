import type { ExtensionConfig, RepositoryConfig } from '@homeostat/shared';
import type { FingerprintReport } from '../../issue/fingerprint-source.ts';
import type {
  CodeWindow,
  ContextFileRole,
  FixContext,
  RepoSnapshot,
  ResolvedFrame,
  SourceFile,
} from '../fix.types.ts';
import { codeWindows, enclosingFunction } from './code-window.ts';
import { cappedEvent } from './event-caps.ts';
import type { FrameMapper } from './frame-mapper.ts';
import { type FramelessLimits, locateFrameless } from './frameless.ts';
import { directImports } from './imports.ts';
import {
  extensionFrames,
  type FrameDropReason,
  MAX_FRAMES,
  resolveFrame,
} from './in-app-frames.ts';
import { type AstNode, parseSource } from './parse-source.ts';
import { isEditablePath, isLibraryPath } from './path-filters.ts';
import { relatedTests } from './related-tests.ts';

/**
 * Deterministic localization (issue 9, item 3): from a fingerprint's scrubbed sample to a bounded
 * `FixContext`. In-app frames are mapped to repository files (in-app-frames.ts); a Chrome error
 * without frames is traced to the chrome.* calls that raise it (frameless.ts). The context holds
 * the frames' files, their direct imports and their tests, and windows of code around every frame
 * line plus the culprit's whole function. Nothing here asks a model: the same report and commit
 * always give the same context.
 */

export interface LocalizeLimits {
  maxFiles: number;
  /** UTF-8 bytes of all context files together. */
  maxTotalBytes: number;
  maxFrames: number;
  /** Tests kept per frame file. */
  maxTestsPerFile: number;
  frameless: FramelessLimits;
}

export const DEFAULT_LOCALIZE_LIMITS: LocalizeLimits = {
  maxFiles: 12,
  maxTotalBytes: 256 * 1024,
  maxFrames: MAX_FRAMES,
  maxTestsPerFile: 2,
  frameless: { maxScanFiles: 80, maxFrames: 3, maxImportDepth: 4 },
};

export interface LocalizeInput {
  report: FingerprintReport;
  repo: RepositoryConfig;
  extension: ExtensionConfig;
  snapshot: RepoSnapshot;
  mapper: FrameMapper;
  /** The sample's extension version (samples.version) when known; else the report's last one. */
  version?: string;
  limits?: Partial<Omit<LocalizeLimits, 'frameless'>> & { frameless?: Partial<FramelessLimits> };
}

export type LocalizeFailure =
  /** Ingest kept no sample that parses: there is no stack or message to start from. */
  | 'no_sample'
  /** No frame of the extension's own code, and no known frameless Chrome error. */
  | 'no_in_app_frame'
  /** In-app frames, but none lands on a file of the repository (stale paths, a crafted frame). */
  | 'frames_outside_repo'
  /** The frames' files exist but none can be read as text within the bounds. */
  | 'source_unreadable';

export interface LocalizeStats {
  /** In-app frames found in the sample's stack (at most maxFrames). */
  inAppFrames: number;
  /** Why in-app frames were left out. */
  dropped: Partial<Record<FrameDropReason | 'unreadable' | 'over_budget', number>>;
  /** The frameless rule that supplied the frames, if any. */
  framelessRule: string | null;
}

export type LocalizeOutcome =
  | { ok: true; context: FixContext; stats: LocalizeStats }
  | { ok: false; reason: LocalizeFailure; stats: LocalizeStats };

const encoder = new TextEncoder();

export async function localize(input: LocalizeInput): Promise<LocalizeOutcome> {
  const limits: LocalizeLimits = {
    ...DEFAULT_LOCALIZE_LIMITS,
    ...input.limits,
    frameless: { ...DEFAULT_LOCALIZE_LIMITS.frameless, ...input.limits?.frameless },
  };
  const { report, repo, snapshot } = input;
  const stats: LocalizeStats = { inAppFrames: 0, dropped: {}, framelessRule: null };
  const drop = (reason: keyof LocalizeStats['dropped']) => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
  };
  const sample = report.sample;
  if (sample === null) return { ok: false, reason: 'no_sample', stats };
  const version = input.version ?? report.lastVersion;
  const known = new Set(snapshot.paths());
  const has = (p: string) => known.has(p);

  // 1. In-app frames, mapped, kept only where they land on a file of the snapshot.
  const candidates = extensionFrames(sample.error.stack ?? '', limits.maxFrames);
  stats.inAppFrames = candidates.length;
  const resolutions = await Promise.all(
    candidates.map((frame) =>
      resolveFrame(frame, {
        mapper: input.mapper,
        extensionId: input.extension.id,
        version,
        repo,
        has,
      }),
    ),
  );
  let frames: ResolvedFrame[] = [];
  const seenFrames = new Set<string>();
  for (const r of resolutions) {
    if (!r.ok) {
      drop(r.reason);
      continue;
    }
    // Recursion repeats frames; one of each is enough.
    const key = `${r.frame.path}:${r.frame.line}:${r.frame.column}`;
    if (seenFrames.has(key)) continue;
    seenFrames.add(key);
    frames.push(r.frame);
  }

  // 2. Read the frames' files; a frame whose file is unreadable goes.
  const read = new Map<string, SourceFile>();
  const readFile = async (path: string): Promise<SourceFile | null> => {
    const hit = read.get(path);
    if (hit !== undefined) return hit;
    const outcome = await snapshot.read(path);
    if (!outcome.ok) return null;
    read.set(path, outcome.file);
    return outcome.file;
  };
  const unreadable = new Set<string>();
  for (const path of new Set(frames.map((f) => f.path))) {
    if ((await readFile(path)) === null) unreadable.add(path);
  }
  frames = frames.filter((f) => {
    if (!unreadable.has(f.path)) return true;
    drop('unreadable');
    return false;
  });

  // 3. No usable frame: a known frameless Chrome error is traced through its API calls.
  if (frames.length === 0) {
    const frameless = await locateFrameless({
      message: sample.error.message,
      surface: sample.surface,
      snapshot,
      repo,
      limits: limits.frameless,
    });
    if (frameless !== null) {
      stats.framelessRule = frameless.rule;
      frames = frameless.frames;
      for (const [path, file] of frameless.files) read.set(path, file);
    }
  }
  if (frames.length === 0) {
    const reason: LocalizeFailure =
      unreadable.size > 0
        ? 'source_unreadable'
        : (stats.dropped.outside_repo ?? 0) + (stats.dropped.not_in_repo ?? 0) > 0
          ? 'frames_outside_repo'
          : 'no_in_app_frame';
    return { ok: false, reason, stats };
  }

  // 4. Context files, most useful first, within the file and byte budgets.
  const files: FixContext['files'] = {};
  let totalBytes = 0;
  const add = (file: SourceFile, role: ContextFileRole): boolean => {
    if (files[file.path] !== undefined) return true;
    const bytes = encoder.encode(file.content).byteLength;
    if (Object.keys(files).length >= limits.maxFiles || totalBytes + bytes > limits.maxTotalBytes) {
      return false;
    }
    files[file.path] = { ...file, role };
    totalBytes += bytes;
    return true;
  };
  const frameFiles = [...new Set(frames.map((f) => f.path))];
  const overBudget = new Set<string>();
  for (const path of frameFiles) {
    const file = read.get(path);
    if (file === undefined || !add(file, 'frame')) overBudget.add(path);
  }
  frames = frames.filter((f) => {
    if (!overBudget.has(f.path)) return true;
    drop('over_budget');
    return false;
  });
  const culprit = frames[0];
  if (culprit === undefined) return { ok: false, reason: 'source_unreadable', stats };

  const programs = new Map<string, AstNode | null>();
  const programOf = (file: SourceFile) => {
    if (!programs.has(file.path)) programs.set(file.path, parseSource(file.path, file.content));
    return programs.get(file.path) ?? null;
  };
  const paths = snapshot.paths();
  const importsOf = (path: string): string[] => {
    const file = read.get(path);
    const program = file === undefined ? null : programOf(file);
    return program === null
      ? []
      : directImports(path, program, repo, has).filter((p) => !isLibraryPath(p));
  };
  const addAll = async (list: string[], role: ContextFileRole) => {
    for (const path of list) {
      if (files[path] !== undefined) continue;
      const file = await readFile(path);
      if (file !== null) add(file, role);
    }
  };
  const keptFrameFiles = frameFiles.filter((p) => !overBudget.has(p));
  await addAll(relatedTests(culprit.path, paths, limits.maxTestsPerFile), 'test');
  await addAll(importsOf(culprit.path), 'import');
  for (const path of keptFrameFiles.slice(1)) {
    await addAll(importsOf(path), 'import');
    await addAll(relatedTests(path, paths, limits.maxTestsPerFile), 'test');
  }

  // 5. Windows around every frame line, and the culprit's whole function.
  const windows: CodeWindow[] = [];
  for (const path of keptFrameFiles) {
    const file = files[path];
    if (file === undefined) continue;
    const lines = frames.filter((f) => f.path === path).map((f) => f.line);
    const program = path === culprit.path ? programOf(file) : null;
    const fn = program === null ? null : enclosingFunction(program, culprit.line);
    windows.push(...codeWindows(path, file.content, lines, fn));
  }

  const context: FixContext = {
    repo: repo.slug,
    commitSha: snapshot.commitSha,
    extensionId: input.extension.id,
    fingerprint: report.fingerprint,
    event: cappedEvent(sample, version),
    evidence: {
      title: report.title,
      culprit: report.culprit,
      events: report.events,
      installs: report.installs,
      versions: report.versions.map((v) => v.version),
      surfaces: report.surfaces,
      firstSeen: report.firstSeen,
      lastSeen: report.lastSeen,
    },
    frames,
    culprit,
    files,
    windows,
    editablePaths: Object.keys(files)
      .filter((p) => isEditablePath(p, repo))
      .sort(),
  };
  return { ok: true, context, stats };
}
