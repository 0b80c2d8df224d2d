import type { Candidate, FixContext } from '../fix.types.ts';
import { BUILTIN_PATTERNS, ensureBuiltinPatterns } from './builtin-patterns.ts';
import { type FrameShape, frameShapeOf } from './frame-shape.ts';
import { matchMessage, templateSpecificity } from './message-template.ts';
import { activePatterns, type PatternRow, patternParams, repoScope } from './pattern-store.ts';
import type { TransformId, TransformRefusal } from './transforms/transform.types.ts';
import { TRANSFORMS } from './transforms/transform-registry.ts';

/**
 * The pattern matcher (issue 9 item 4; seed 001 "PatternMatcher", now over D1): the first
 * pattern whose signature fits the context, whose confidence reaches the repository's threshold,
 * and whose transform finds its target, gives the candidate. Deterministic and free, so it runs
 * before any model; its candidate still goes through every guardrail and the repository's CI.
 *
 *   signature    error type + message template + culprit frame shape ('*' fits anything)
 *   exact        all three fit: the pattern's confidence
 *   fuzzy        the template fits, the type or the frame shape does not: confidence × 0.8
 *   order        this repository's learned patterns (most confident first), then the built-ins
 *                (most specific template first); retired and quarantined patterns never
 */

export const FUZZY_FACTOR = 0.8;
export const DEFAULT_THRESHOLD = 0.8;

export type PatternOutcome = 'applied' | 'below_threshold' | TransformRefusal;

export interface TriedPattern {
  patternId: string;
  transform: TransformId;
  /** The confidence the threshold was compared with (after the fuzzy factor). */
  confidence: number;
  fuzzy: boolean;
  outcome: PatternOutcome;
}

export type MatchFailure =
  | 'no_signature_match' // no pattern's template fits the message
  | 'below_threshold' // some fit, none confident enough
  | 'not_applicable' // confident ones fit, no transform found its target
  | 'already_fixed'; // a fitting pattern found its fix already in the code at the frames

export type MatchResult =
  | { ok: true; candidate: Candidate; tried: TriedPattern[] }
  | { ok: false; reason: MatchFailure; tried: TriedPattern[] };

export interface MatchOptions {
  repo: string;
  /** The repository's `confidenceThreshold` (default 0.8). */
  threshold?: number;
}

function order(rows: readonly PatternRow[], scope: string): PatternRow[] {
  const specificity = new Map(rows.map((r) => [r.id, templateSpecificity(r.message_template)]));
  const spec = (r: PatternRow) => specificity.get(r.id) ?? 0;
  const learned = rows
    .filter((r) => r.scope === scope && r.scope !== '*')
    .sort((a, b) => b.confidence - a.confidence || spec(b) - spec(a) || (a.id < b.id ? -1 : 1));
  const builtin = rows
    .filter((r) => r.scope === '*')
    .sort((a, b) => spec(b) - spec(a) || b.confidence - a.confidence || (a.id < b.id ? -1 : 1));
  return [...learned, ...builtin];
}

async function seeded(db: D1Database): Promise<void> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM fix_patterns WHERE provenance = 'builtin'")
    .first<{ n: number }>();
  if ((row?.n ?? 0) < BUILTIN_PATTERNS.length) await ensureBuiltinPatterns(db);
}

export async function matchPattern(
  db: D1Database,
  ctx: FixContext,
  options: MatchOptions,
): Promise<MatchResult> {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  await seeded(db);
  const rows = order(await activePatterns(db, options.repo), repoScope(options.repo));
  let shape: FrameShape | null = null;
  const tried: TriedPattern[] = [];
  for (const row of rows) {
    const matched = matchMessage(row.message_template, ctx.event.message);
    if (matched === null) continue;
    shape ??= frameShapeOf(ctx);
    const typeFits = row.error_type === '*' || row.error_type === ctx.event.type;
    const shapeFits = row.frame_shape === '*' || row.frame_shape === shape;
    const fuzzy = !(typeFits && shapeFits);
    const confidence = fuzzy ? row.confidence * FUZZY_FACTOR : row.confidence;
    const base = { patternId: row.id, transform: row.transform, confidence, fuzzy };
    if (confidence < threshold) {
      tried.push({ ...base, outcome: 'below_threshold' });
      continue;
    }
    const transform = TRANSFORMS[row.transform];
    const result = transform.apply({ ctx, captures: matched.captures, params: patternParams(row) });
    if (!result.ok) {
      tried.push({ ...base, outcome: result.reason });
      // The fix this error calls for is there already: a less specific pattern piling another
      // change on top (a generic catch around it, say) would be a guess, not a fix.
      if (result.reason === 'already_guarded') return { ok: false, reason: 'already_fixed', tried };
      continue;
    }
    tried.push({ ...base, outcome: 'applied' });
    return {
      ok: true,
      tried,
      candidate: {
        source: { kind: 'pattern', patternId: row.id, confidence, fuzzy },
        changes: result.changes,
        summary: transform.summary,
      },
    };
  }
  const reason: MatchFailure =
    tried.length === 0
      ? 'no_signature_match'
      : tried.every((t) => t.outcome === 'below_threshold')
        ? 'below_threshold'
        : 'not_applicable';
  return { ok: false, reason, tried };
}
