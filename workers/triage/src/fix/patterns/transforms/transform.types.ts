import type { FileChange, FixContext } from '../../fix.types.ts';
import type { FrameSite, SourceCache } from '../ast/frame-sites.ts';
import { parses } from '../ast/parse-source.ts';
import { applyEdits, type TextEdit } from '../ast/source-edit.ts';

/**
 * The contract of a pattern transform (issue 9 item 4): a deterministic function from a
 * FixContext (plus what the pattern's message template captured and the pattern's own params) to
 * the full before/after text of each changed file, or a closed reason why it does not apply.
 * Transforms never copy event text into code: captures only select nodes, and every inserted
 * character is either the file's own text or Homeostat's constant text.
 */

export const TRANSFORM_IDS = [
  'optional-chain',
  'json-parse-guard',
  'last-error-check',
  'catch-receiving-end',
  'catch-no-tab',
  'storage-quota-fallback',
  'context-invalidated-guard',
  'listener-rejection-catch',
  'optional-call',
  'destructure-default',
  'token-rewrite',
] as const;
export type TransformId = (typeof TRANSFORM_IDS)[number];

export type TransformRefusal =
  | 'no_target_node' // nothing at the frames has the shape this transform fixes
  | 'already_guarded' // the code at the frames already has this fix: never applied twice
  | 'parse_failed' // a frame's file does not parse cleanly
  | 'no_source' // no frame points into an editable context file
  | 'bad_params' // the pattern's stored params do not fit the transform
  | 'bad_captures' // what the message template captured is not what the transform needs
  | 'unsafe_target' // the node is there but the rewrite would change meaning or not parse
  | 'not_applicable' // the evidence says this is another kind of failure
  | 'output_unparseable'; // the rewritten file did not parse (never offered)

export type TransformResult =
  | { ok: true; changes: FileChange[] }
  | { ok: false; reason: TransformRefusal };

export interface TransformInput {
  ctx: FixContext;
  captures: Readonly<Record<string, string>>;
  params: unknown;
}

export interface PatternTransform {
  id: TransformId;
  /** What the change does, written by Homeostat (the candidate's summary; never event text). */
  summary: string;
  apply(input: TransformInput): TransformResult;
}

/** What planning one site gave: edits to its file, or why not. */
export type SitePlan = { edits: TextEdit[] } | { refusal: TransformRefusal };

/**
 * Plans every site, applies the edits per file, and checks that each rewritten file parses. The
 * result is the first success, else the most telling refusal: already_guarded (the fix is there)
 * before unsafe_target before no_target_node.
 */
export function planSites(
  sites: { sites: FrameSite[]; parseFailed: boolean },
  cache: SourceCache,
  plan: (site: FrameSite) => SitePlan,
  options: { firstOnly?: boolean } = {},
): TransformResult {
  if (sites.sites.length === 0)
    return { ok: false, reason: sites.parseFailed ? 'parse_failed' : 'no_source' };
  const edits = new Map<string, TextEdit[]>();
  const refusals = new Set<TransformRefusal>();
  for (const site of sites.sites) {
    const result = plan(site);
    if ('refusal' in result) {
      refusals.add(result.refusal);
      // With firstOnly, the first frame that has the shape decides, fixed or not.
      if (options.firstOnly && result.refusal !== 'no_target_node') break;
      continue;
    }
    if (result.edits.length === 0) continue;
    const list = edits.get(site.file.path) ?? [];
    list.push(...result.edits);
    edits.set(site.file.path, list);
    if (options.firstOnly) break;
  }
  return finish(edits, cache, refusals);
}

export function finish(
  edits: Map<string, TextEdit[]>,
  cache: SourceCache,
  refusals: Set<TransformRefusal>,
): TransformResult {
  const changes: FileChange[] = [];
  for (const [path, list] of [...edits].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const parsed = cache.get(path);
    if (!parsed) continue;
    const after = applyEdits(parsed.text, list);
    if (after === parsed.text) continue;
    if (!parses(path, after)) return { ok: false, reason: 'output_unparseable' };
    changes.push({ path, before: parsed.text, after });
  }
  if (changes.length > 0) return { ok: true, changes };
  for (const reason of [
    'already_guarded',
    'unsafe_target',
    'bad_captures',
    'not_applicable',
  ] as const) {
    if (refusals.has(reason)) return { ok: false, reason };
  }
  return { ok: false, reason: 'no_target_node' };
}
