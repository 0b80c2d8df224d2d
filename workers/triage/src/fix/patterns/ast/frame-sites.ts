import type { Node } from '@babel/types';
import type { FixContext, ResolvedFrame } from '../../fix.types.ts';
import { type ParsedSource, parseSource } from './parse-source.ts';
import { collect, end, start, type Visit } from './walk.ts';

/**
 * From a FixContext's frames to the parsed files a transform may change. Only files that are in
 * the context and editable (the guardrails' own list) are offered: a candidate touching anything
 * else would be rejected anyway.
 */

export interface FrameSite {
  frame: ResolvedFrame;
  file: ParsedSource;
}

export type SiteMode = 'culprit' | 'all';

export interface Sites {
  sites: FrameSite[];
  /** Some frame's file could not be parsed. */
  parseFailed: boolean;
}

const caches = new WeakMap<FixContext, SourceCache>();

/**
 * Parsed files of a FixContext, by path: every pattern tried on one context shares the parses
 * (transforms never mutate them).
 */
export class SourceCache {
  readonly #ctx: FixContext;
  readonly #parsed = new Map<string, ParsedSource | null>();

  static for(ctx: FixContext): SourceCache {
    let cache = caches.get(ctx);
    if (cache === undefined) {
      cache = new SourceCache(ctx);
      caches.set(ctx, cache);
    }
    return cache;
  }

  private constructor(ctx: FixContext) {
    this.#ctx = ctx;
  }

  editable(path: string): boolean {
    return this.#ctx.files[path] !== undefined && this.#ctx.editablePaths.includes(path);
  }

  get(path: string): ParsedSource | null | undefined {
    const file = this.#ctx.files[path];
    if (file === undefined || !this.editable(path)) return undefined;
    if (!this.#parsed.has(path)) this.#parsed.set(path, parseSource(path, file.content));
    return this.#parsed.get(path) ?? null;
  }

  /** Every editable context file that parses. */
  all(): ParsedSource[] {
    const out: ParsedSource[] = [];
    for (const path of Object.keys(this.#ctx.files).sort()) {
      const parsed = this.get(path);
      if (parsed) out.push(parsed);
    }
    return out;
  }
}

/**
 * `culprit`: the innermost in-app frame only (where a read of null happened, nothing else is the
 * place). `all`: the culprit then every other in-app frame, once per line (frameless errors, whose
 * frames the localizer points at the candidate call sites).
 */
export function frameSites(ctx: FixContext, cache: SourceCache, mode: SiteMode): Sites {
  const frames: ResolvedFrame[] = [];
  const first = ctx.culprit ?? ctx.frames[0];
  if (first) frames.push(first);
  if (mode === 'all') frames.push(...ctx.frames);
  const seen = new Set<string>();
  const sites: FrameSite[] = [];
  let parseFailed = false;
  for (const frame of frames) {
    const key = `${frame.path}:${frame.line}:${frame.column ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const file = cache.get(frame.path);
    if (file === null) parseFailed = true;
    if (file) sites.push({ frame, file });
  }
  return { sites, parseFailed };
}

/** Lines a frame may be off by (a source map mapping to the statement's line, not the token's). */
const SLACK_LINES = 2;

/**
 * The nodes satisfying `test` at a frame, best first: containing the frame's column when known,
 * then starting on the frame's line (leftmost first), then spanning it (innermost first), then
 * within two lines of it (nearest first). Nothing farther is a target.
 */
export function nodesAtFrame<T extends Node>(
  site: FrameSite,
  test: (node: Node, ancestors: readonly Node[]) => node is T,
): Visit<T>[] {
  const { file, frame } = site;
  const line = frame.line;
  const p = frame.column === null ? null : file.lines.offset(line, frame.column);
  const scored: [number, number, Visit<T>][] = [];
  for (const visit of collect(file.ast, test)) {
    const first = visit.node.loc?.start.line ?? 0;
    const last = visit.node.loc?.end.line ?? 0;
    const size = end(visit.node) - start(visit.node);
    if (p !== null && start(visit.node) <= p && p < end(visit.node) && first <= line) {
      scored.push([0, size, visit]);
    } else if (first === line) scored.push([1, start(visit.node), visit]);
    else if (first < line && line <= last) scored.push([2, size, visit]);
    else {
      const distance = line < first ? first - line : line - last;
      if (distance <= SLACK_LINES) scored.push([3, distance, visit]);
    }
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.map((s) => s[2]);
}
