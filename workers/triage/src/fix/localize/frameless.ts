import type { RepositoryConfig, Surface } from '@homeostat/shared';
import type { RepoSnapshot, ResolvedFrame, SourceFile } from '../fix.types.ts';
import { type ChromeCall, chromeCalls } from './chrome-calls.ts';
import { enclosingFunction } from './code-window.ts';
import { directImports } from './imports.ts';
import { surfaceEntries, surfaceFromName } from './manifest-surfaces.ts';
import { type AstNode, isScriptPath, parseSource } from './parse-source.ts';
import { isEditablePath } from './path-filters.ts';
import { isTestPath } from './related-tests.ts';

/**
 * Errors Chrome raises with no frame at all (docs/architecture.md#chrome-field-notes: a failed
 * promise-based `chrome.*` call rejects with a bare `Error: No tab with id: 1842.`). Only the
 * message and the surface are left, so the source is found deterministically: each known message
 * names the Chrome APIs that raise it, the extension's files (inside `paths.include`) are searched
 * for calls of those APIs, and the calls are ranked. The winners stand in for frames
 * (`via: 'source_roots'`, the call's line).
 *
 * Ranking, highest first, ties broken by the next key:
 *   1. surface: the file runs in the event's surface (it is that surface's manifest entry, or
 *      imported from one, directly or not) › the file's surface is unknown (shared modules, no
 *      manifest) › the file runs only in other surfaces. When the event's surface is itself
 *      unknown, every file ranks as unknown.
 *   2. API: a call that raises exactly this error (`tabs.get` for "No tab with id") › one that
 *      can (`scripting.executeScript` with a `tabId`).
 *   3. closeness to the surface's entry: the entry file itself, then its imports, then theirs.
 *   4. path, then line: a stable order, so the same event always gives the same context.
 * Each file contributes its best call, and the top `maxFrames` files are kept, all of the best
 * surface rank: once a file of the event's surface can raise the error, files that run only
 * elsewhere are noise.
 */

export type ApiWeight = 0 | 1 | 2;

export interface FramelessRule {
  id: string;
  message: RegExp;
  weigh(call: ChromeCall, message: string): ApiWeight;
}

const TAB_ID_METHODS = new Set([
  'get',
  'update',
  'remove',
  'reload',
  'sendMessage',
  'connect',
  'duplicate',
  'discard',
  'goBack',
  'goForward',
  'move',
  'group',
  'ungroup',
  'getZoom',
  'setZoom',
  'getZoomSettings',
  'setZoomSettings',
  'detectLanguage',
  'executeScript',
  'insertCSS',
  'removeCSS',
  'toggleReaderMode',
]);

const isEvent = (name: string | undefined) => name !== undefined && /^on[A-Z]/.test(name);
const sends = (c: ChromeCall) =>
  (c.chain[0] === 'runtime' || c.chain[0] === 'tabs') && c.chain[1] === 'sendMessage';

/** The messages Chrome gives these failures (seen in Chromium, or in its source's error strings). */
export const FRAMELESS_RULES: readonly FramelessRule[] = [
  {
    id: 'no-tab',
    message: /\bNo tab with id\b/i,
    weigh: ({ chain: [api, method] }) => {
      if (api === 'tabs') return method !== undefined && TAB_ID_METHODS.has(method) ? 2 : 0;
      if (isEvent(method)) return 0;
      return api === 'scripting' ||
        api === 'action' ||
        api === 'browserAction' ||
        api === 'pageAction' ||
        api === 'sidePanel' ||
        api === 'debugger' ||
        api === 'webNavigation'
        ? 1
        : 0;
    },
  },
  {
    id: 'no-window',
    message: /\bNo window with id\b/i,
    weigh: ({ chain: [api, method] }) => {
      if (api === 'windows')
        return method === 'get' || method === 'update' || method === 'remove' ? 2 : 0;
      return api === 'tabs' && (method === 'create' || method === 'query' || method === 'move')
        ? 1
        : 0;
    },
  },
  {
    id: 'no-receiver',
    message: /Could not establish connection\. Receiving end does not exist/i,
    weigh: (c) => {
      if (sends(c)) return 2;
      return (c.chain[0] === 'runtime' || c.chain[0] === 'tabs') && c.chain[1] === 'connect'
        ? 1
        : 0;
    },
  },
  {
    id: 'port-closed',
    message: /message port closed before a response was received/i,
    weigh: (c) => {
      if (sends(c)) return 2;
      return c.chain[0] === 'runtime' && c.chain[1] === 'onMessage' ? 1 : 0;
    },
  },
  {
    id: 'context-invalidated',
    // Thrown by any chrome.* use in a content script whose extension was reloaded or updated.
    message: /Extension context invalidated/i,
    weigh: ({ chain: [api] }) =>
      api === 'runtime' ? 2 : api === 'storage' || api === 'i18n' ? 1 : 0,
  },
  {
    id: 'storage-quota',
    message:
      /quota exceeded|QUOTA_BYTES|kQuotaBytes|MAX_WRITE_OPERATIONS_PER_(?:HOUR|MINUTE)|MAX_ITEMS/i,
    weigh: ({ chain: [api, area, method] }, message) => {
      if (api !== 'storage' || method !== 'set') return 0;
      // Per-item size and write-rate quotas exist only for storage.sync.
      const syncOnly = /PerItem|PER_ITEM|MAX_WRITE|MAX_ITEMS/i.test(message);
      return !syncOnly || area === 'sync' ? 2 : 1;
    },
  },
  {
    id: 'cannot-access',
    message: /Cannot access (?:contents of|a chrome(?:-extension)?:\/\/ URL|a chrome:)/i,
    weigh: ({ chain: [api, method] }) =>
      (api === 'scripting' || api === 'tabs') &&
      (method === 'executeScript' || method === 'insertCSS')
        ? 2
        : 0,
  },
];

/** The rule for a message; `Unchecked runtime.lastError: X` is decided by X. */
export function framelessRule(message: string): FramelessRule | null {
  const inner = /^Unchecked runtime\.lastError:\s*/i.exec(message);
  const text = inner === null ? message : message.slice(inner[0].length);
  return FRAMELESS_RULES.find((r) => r.message.test(text.slice(0, 2048))) ?? null;
}

export interface FramelessLimits {
  /** Files read and parsed in the search (entries, their imports, then the rest). */
  maxScanFiles: number;
  /** Frames (files) kept. */
  maxFrames: number;
  /** Import depth followed from a surface's entries. */
  maxImportDepth: number;
}

export const DEFAULT_FRAMELESS_LIMITS: FramelessLimits = {
  maxScanFiles: 80,
  maxFrames: 3,
  maxImportDepth: 4,
};

interface ScannedFile {
  file: SourceFile;
  program: AstNode;
  /** Surfaces whose entries reach it, with the shortest import depth. */
  surfaces: Map<Surface, number>;
}

export interface FramelessInput {
  message: string;
  surface: Surface;
  snapshot: RepoSnapshot;
  repo: RepositoryConfig;
  limits?: Partial<FramelessLimits>;
}

export interface FramelessResult {
  rule: string;
  frames: ResolvedFrame[];
  /** Files read on the way, by path, so localization need not read them again. */
  files: Map<string, SourceFile>;
}

/** Null when the message is not a known frameless error, or nothing in the code can raise it. */
export async function locateFrameless(input: FramelessInput): Promise<FramelessResult | null> {
  const rule = framelessRule(input.message);
  if (rule === null) return null;
  const limits = { ...DEFAULT_FRAMELESS_LIMITS, ...input.limits };
  const { snapshot, repo } = input;
  const paths = snapshot.paths();
  const has = new Set(paths);
  const searchable = (p: string) =>
    isScriptPath(p) && !p.endsWith('.d.ts') && !isTestPath(p) && isEditablePath(p, repo);

  const scanned = new Map<string, ScannedFile | null>();
  let budget = limits.maxScanFiles;
  const scan = async (path: string): Promise<ScannedFile | null> => {
    if (scanned.has(path)) return scanned.get(path) ?? null;
    if (budget <= 0) return null;
    budget--;
    const read = await snapshot.read(path);
    const program = read.ok ? parseSource(path, read.file.content) : null;
    const result =
      read.ok && program !== null ? { file: read.file, program, surfaces: new Map() } : null;
    scanned.set(path, result);
    return result;
  };

  // Surface entries and what they import, breadth-first, the event's surface first: these files
  // have known surfaces and are the likeliest sources.
  const entries = await surfaceEntries(snapshot, repo);
  const order: Surface[] = [
    ...(entries.has(input.surface) ? [input.surface] : []),
    ...[...entries.keys()].filter((s) => s !== input.surface),
  ];
  for (const surface of order) {
    let level = (entries.get(surface) ?? []).filter((p) => isScriptPath(p));
    for (let depth = 0; depth <= limits.maxImportDepth && level.length > 0; depth++) {
      const next: string[] = [];
      for (const path of level) {
        const file = await scan(path);
        if (file === null) continue;
        if (file.surfaces.has(surface)) continue;
        file.surfaces.set(surface, depth);
        for (const imported of directImports(path, file.program, repo, (p) => has.has(p))) {
          if (isScriptPath(imported)) next.push(imported);
        }
      }
      level = next;
    }
  }
  // Then every other file the fixer may touch, in path order, while the budget lasts.
  for (const path of paths) {
    if (budget <= 0) break;
    if (searchable(path) && !scanned.has(path)) await scan(path);
  }

  const ranked: { file: ScannedFile; call: ChromeCall; key: number[] }[] = [];
  for (const [path, file] of scanned) {
    if (file === null || !searchable(path)) continue;
    const named = surfaceFromName(path);
    const known =
      file.surfaces.size > 0 ? file.surfaces : named === null ? null : new Map([[named, 1]]);
    const depth = known?.get(input.surface);
    const surfaceRank =
      input.surface === 'unknown' || known === null ? 1 : depth !== undefined ? 2 : 0;
    for (const call of chromeCalls(file.program)) {
      const weight = rule.weigh(call, input.message);
      if (weight === 0) continue;
      ranked.push({ file, call, key: [surfaceRank, weight, -(depth ?? 99)] });
    }
  }
  ranked.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const d = (b.key[i] ?? 0) - (a.key[i] ?? 0);
      if (d !== 0) return d;
    }
    if (a.file.file.path !== b.file.file.path) return a.file.file.path < b.file.file.path ? -1 : 1;
    return a.call.line - b.call.line || a.call.column - b.call.column;
  });

  const frames: ResolvedFrame[] = [];
  const seen = new Set<string>();
  const topRank = ranked[0]?.key[0];
  for (const { file, call, key } of ranked) {
    if (key[0] !== topRank) break;
    if (seen.has(file.file.path)) continue;
    seen.add(file.file.path);
    frames.push({
      function: enclosingFunction(file.program, call.line)?.name ?? null,
      path: file.file.path,
      line: call.line,
      column: call.column,
      via: 'source_roots',
    });
    if (frames.length >= limits.maxFrames) break;
  }
  if (frames.length === 0) return null;
  const files = new Map<string, SourceFile>();
  for (const [path, file] of scanned) if (file !== null) files.set(path, file.file);
  return { rule: rule.id, frames, files };
}
