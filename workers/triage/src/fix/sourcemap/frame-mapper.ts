import {
  GREATEST_LOWER_BOUND,
  LEAST_UPPER_BOUND,
  originalPositionFor,
  type TraceMap,
} from '@jridgewell/trace-mapping';
import type { FrameMapper, FrameMapping, PackagedFrame } from '../localize/frame-mapper.ts';
import { BoundedCache } from '../source/bounded-cache.ts';
import { sha256Hex } from './sha256.ts';
import { normalizePackagePath, resolveSourcePath } from './source-path.ts';
import { MAX_SOURCE_MAP_BYTES } from './sourcemap.schema.ts';
import { parseSourceMap } from './sourcemap-parse.ts';
import { findSourceMap } from './sourcemap-store.ts';

/**
 * Maps a minified frame of a release back to the original file, line, column and name through
 * the release's uploaded source map (issue 9, item 2), for localization. Expected outcomes are
 * values; only storage failures (D1, R2) throw, so the fix message is retried.
 */

// The contract is localization's (localize/frame-mapper.ts); this module only implements it.
export type FrameToMap = PackagedFrame;
export type FrameMapResult = FrameMapping;

type ParsedEntry =
  | { ok: true; trace: TraceMap; sourceIndex: Map<string, number>; weight: number }
  | { ok: false; weight: number };

export type SourceMapCache = BoundedCache<ParsedEntry>;

/**
 * Parsed maps by content digest, shared by every mapper of the isolate: one fix run maps many
 * frames of the same bundles, and the next run of the same release finds them parsed. Weighed
 * by the map's size in bytes (the decoded mappings take a few times that): bounded so that a
 * release with many large maps cannot exhaust the isolate's 128 MB.
 */
export function createSourceMapCache(
  limits: { maxEntries: number; maxBytes: number } = { maxEntries: 16, maxBytes: 16 << 20 },
): SourceMapCache {
  return new BoundedCache<ParsedEntry>({
    maxEntries: limits.maxEntries,
    maxWeight: limits.maxBytes,
    weigh: (entry) => entry.weight,
  });
}

const isolateCache = createSourceMapCache();

export interface FrameMapperOptions {
  /** Maps larger than this are 'map_invalid' without being read (default MAX_SOURCE_MAP_BYTES). */
  maxMapBytes?: number;
  cache?: SourceMapCache;
}

export function createR2FrameMapper(
  bucket: R2Bucket,
  db: D1Database,
  options: FrameMapperOptions = {},
): FrameMapper {
  const maxBytes = options.maxMapBytes ?? MAX_SOURCE_MAP_BYTES;
  const cache = options.cache ?? isolateCache;
  // Frames of one bundle are often mapped together: one read and parse per map, not per frame.
  const loading = new Map<string, Promise<ParsedEntry | null>>();

  async function load(r2Key: string, sha256: string): Promise<ParsedEntry | null> {
    const object = await bucket.get(r2Key);
    if (object === null) return null;
    if (object.size > maxBytes) {
      await object.body.cancel();
      return { ok: false, weight: 0 };
    }
    const bytes = new Uint8Array(await object.arrayBuffer());
    // The row's digest is what was validated on upload: other bytes were never checked.
    if ((await sha256Hex(bytes)) !== sha256) return { ok: false, weight: 0 };
    const parsed = parseSourceMap(bytes);
    if (!parsed.ok) return { ok: false, weight: 0 };
    const sourceIndex = new Map<string, number>();
    // The library reports a position's source by its resolved name; equal names are one file.
    parsed.trace.resolvedSources.forEach((name, i) => {
      if (!sourceIndex.has(name)) sourceIndex.set(name, i);
    });
    return { ok: true, trace: parsed.trace, sourceIndex, weight: bytes.byteLength };
  }

  async function entryFor(r2Key: string, sha256: string): Promise<ParsedEntry | null> {
    const cached = cache.get(sha256);
    if (cached !== undefined) return cached;
    let pending = loading.get(sha256);
    if (pending === undefined) {
      pending = load(r2Key, sha256).finally(() => loading.delete(sha256));
      loading.set(sha256, pending);
    }
    const entry = await pending;
    // A missing object is not cached: the map may be uploaded again.
    if (entry !== null) cache.set(sha256, entry);
    return entry;
  }

  return {
    async map(frame) {
      const file = normalizePackagePath(frame.packagePath);
      if (file === null) return { ok: false, reason: 'no_map' };
      if (!Number.isSafeInteger(frame.line) || frame.line < 1) {
        return { ok: false, reason: 'no_mapping' };
      }
      if (frame.column !== null && (!Number.isSafeInteger(frame.column) || frame.column < 1)) {
        return { ok: false, reason: 'no_mapping' };
      }
      const location = await findSourceMap(db, frame.extensionId, frame.version, file);
      if (location === null) return { ok: false, reason: 'no_map' };
      if (location.size > maxBytes) return { ok: false, reason: 'map_invalid' };
      const entry = await entryFor(location.r2Key, location.sha256);
      if (entry === null) return { ok: false, reason: 'no_map' };
      if (!entry.ok) return { ok: false, reason: 'map_invalid' };

      // The library's columns are 0-based. Without a column, the line's first mapping stands
      // for it, and no column is claimed.
      const position = originalPositionFor(entry.trace, {
        line: frame.line,
        column: frame.column === null ? 0 : frame.column - 1,
        bias: frame.column === null ? LEAST_UPPER_BOUND : GREATEST_LOWER_BOUND,
      });
      if (position.source === null) return { ok: false, reason: 'no_mapping' };
      const index = entry.sourceIndex.get(position.source);
      const source = index === undefined ? null : entry.trace.sources[index];
      if (source === null || source === undefined) return { ok: false, reason: 'no_mapping' };
      const path = resolveSourcePath({
        source,
        sourceRoot: entry.trace.sourceRoot,
        buildDir: location.buildDir,
        file,
      });
      if (path === null) return { ok: false, reason: 'no_mapping' };
      return {
        ok: true,
        path,
        line: position.line,
        column: frame.column === null ? null : position.column + 1,
        function: position.name,
      };
    },
  };
}
