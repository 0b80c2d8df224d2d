import { formatPath } from '@homeostat/shared';
import { decodedMappings, TraceMap } from '@jridgewell/trace-mapping';
import { SourceMapV3Schema } from './sourcemap.schema.ts';

/**
 * One parse of a source map's bytes, used by the upload route (refuse what the mapper could not
 * use) and the frame mapper (never trust what storage returns). It never throws: a map is
 * build output, but it travels through people's CI and may be anything.
 */

export type SourceMapProblem =
  | 'not_json' // not strict UTF-8 JSON
  | 'sectioned' // an index map (`sections`): not supported
  | 'schema' // not a revision 3 map (zod)
  | 'mappings'; // the library decoded segments pointing at no source, name or position

export type ParsedSourceMap =
  | { ok: true; trace: TraceMap }
  | {
      ok: false;
      problem: SourceMapProblem;
      /** Paths and codes only: never a value from the map. */
      issues: { path: string; code: string }[];
    };

const MAX_ISSUES = 20;

function fail(problem: SourceMapProblem, path: string, code: string): ParsedSourceMap {
  return { ok: false, problem, issues: [{ path, code }] };
}

export function parseSourceMap(bytes: Uint8Array): ParsedSourceMap {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return fail('not_json', '(root)', 'invalid_json');
  }
  if (typeof raw === 'object' && raw !== null && 'sections' in raw) {
    return fail('sectioned', 'sections', 'sectioned_map_unsupported');
  }
  const parsed = SourceMapV3Schema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problem: 'schema',
      issues: parsed.error.issues
        .slice(0, MAX_ISSUES)
        .map((i) => ({ path: formatPath(i.path), code: i.code })),
    };
  }
  const map = parsed.data;
  let trace: TraceMap;
  try {
    trace = new TraceMap({
      version: 3,
      file: map.file ?? null,
      names: map.names ?? [],
      sources: map.sources,
      mappings: map.mappings,
      ...(map.sourceRoot ? { sourceRoot: map.sourceRoot } : {}),
    });
    // Decoding is lazy in the library; force it so that a bad map is refused here, once.
    const lines = decodedMappings(trace);
    const sources = map.sources.length;
    const names = map.names?.length ?? 0;
    for (let line = 0; line < lines.length; line++) {
      for (const segment of lines[line] ?? []) {
        if (!segmentFits(segment, sources, names)) {
          return fail('mappings', `mappings.line${line + 1}`, 'segment_out_of_range');
        }
      }
    }
  } catch {
    return fail('mappings', 'mappings', 'undecodable');
  }
  return { ok: true, trace };
}

/** A segment is [column] or [column, source, line, column(, name)], each index in range. */
function segmentFits(segment: readonly number[], sources: number, names: number): boolean {
  if (!segment.every((n) => Number.isSafeInteger(n) && n >= 0)) return false;
  if (segment.length === 1) return true;
  if (segment.length !== 4 && segment.length !== 5) return false;
  if ((segment[1] ?? sources) >= sources) return false;
  return segment.length === 4 || (segment[4] ?? names) < names;
}
