import { type HomeostatEnv, parameterizeMessage, scrubText } from '@homeostat/shared';
import { structuredPatch } from 'diff';
import type { FileChange } from '../fix.types.ts';
import { type ParsedSource, parseSource, type Token } from './ast/parse-source.ts';
import { lineIndentAt } from './ast/source-edit.ts';
import { frameShapeIn } from './frame-shape.ts';
import { repoScope } from './pattern-store.ts';
import {
  abstractText,
  abstractTokens,
  hasAnchor,
  holeStarts,
  type TokenRewriteParams,
  TokenRewriteParamsSchema,
} from './token-template.ts';

/**
 * The pattern extractor (issue 9 item 4, issue 10 item 5; seed 001 "PatternExtractor"): from a
 * fix a human merged, a repository-scoped pattern whose transform is a token-level rewrite. The
 * changed region is tokenised before and after with @babel/parser, widened to whole lines, the
 * code's own identifiers become holes (token-template.ts), and the pair (search → replace) is the
 * pattern's params; its signature is the fingerprint's error type, parameterised message and the
 * culprit's frame shape. It starts at 0.8 confidence and, like every candidate, passes every
 * guardrail and CI before anything merges.
 *
 * Refused (as values): outside production (the seeds' feature flag); a PR Homeostat merged itself
 * without a human review (it would learn from itself); more than one file or hunk, or too large a
 * change (a pattern is one local edit); a change far from the culprit line; a search template
 * with nothing concrete to anchor on (it would match anywhere); anything the PII scrubber would
 * touch.
 */

export const LEARNED_CONFIDENCE = 0.8;
const MAX_CHANGED_LINES = 20;
const MAX_SEARCH_TOKENS = 80;
const MAX_REPLACE_TOKENS = 200;
/** How far (in lines) the change may start from the culprit line. */
const MAX_DISTANCE = 8;

export interface MergedFix {
  repo: string;
  prUrl: string;
  /** Who merged it: a human, or Homeostat itself (auto-merge of the safe class). */
  mergedBy: 'human' | 'homeostat';
  /** Whether a human approved the PR before it merged. */
  humanReviewed: boolean;
  changes: FileChange[];
  /** The fingerprint's sample: error type and (scrubbed) message. */
  errorType: string;
  message: string;
  culprit: { path: string; line: number; column: number | null } | null;
  env: HomeostatEnv;
  now?: number;
}

export type ExtractRefusal =
  | 'not_human_reviewed'
  | 'no_culprit'
  | 'no_change'
  | 'multiple_files'
  | 'multiple_hunks'
  | 'too_large'
  | 'parse_failed'
  | 'far_from_culprit'
  | 'no_anchor'
  | 'template_unsafe'
  | 'pii_in_template';

export type ExtractResult =
  | { status: 'learned'; patternId: string; created: boolean }
  | { status: 'skipped_env'; env: HomeostatEnv }
  | { status: 'refused'; reason: ExtractRefusal };

interface Region {
  before: Token[];
  after: Token[];
}

/** The changed token run, widened to whole lines of the before text (same widening after). */
function changedRegion(before: ParsedSource, after: ParsedSource): Region | null {
  const b = before.tokens;
  const a = after.tokens;
  let p = 0;
  while (p < b.length && p < a.length && b[p]?.text === a[p]?.text) p++;
  let s = 0;
  while (
    s < b.length - p &&
    s < a.length - p &&
    b[b.length - 1 - s]?.text === a[a.length - 1 - s]?.text
  )
    s++;
  if (p === b.length && p === a.length) return null;
  const bEnd = b.length - s; // exclusive
  let firstLine: number | undefined;
  let lastLine: number | undefined;
  if (p < bEnd) {
    firstLine = b[p]?.line;
    lastLine = b[bEnd - 1]?.line;
  } else {
    // A pure insertion: the line it starts, or the line it ends when it starts a new line.
    const next = b[p];
    const previous = b[p - 1];
    const line =
      next !== undefined && (previous === undefined || previous.line < next.line)
        ? next.line
        : previous?.line;
    firstLine = line;
    lastLine = line;
  }
  if (firstLine === undefined || lastLine === undefined) return null;
  let from = Math.min(p, bEnd);
  while (from > 0 && (b[from - 1]?.line ?? 0) >= firstLine) from--;
  let to = bEnd;
  while (to < b.length && (b[to]?.line ?? Infinity) <= lastLine) to++;
  const left = p - from;
  const right = to - bEnd;
  return { before: b.slice(from, to), after: a.slice(p - left, a.length - s + right) };
}

async function patternId(scope: string, signature: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([scope, signature]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return `learned:${[...digest.slice(0, 12)].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

function refused(reason: ExtractRefusal): ExtractResult {
  return { status: 'refused', reason };
}

/** Builds the pattern; pure, so the bench and tests can see what would be stored. */
export function buildLearnedPattern(fix: Omit<MergedFix, 'env'>):
  | {
      ok: true;
      errorType: string;
      template: string;
      frameShape: string;
      params: TokenRewriteParams;
    }
  | { ok: false; reason: ExtractRefusal } {
  if (fix.mergedBy === 'homeostat' && !fix.humanReviewed)
    return { ok: false, reason: 'not_human_reviewed' };
  const changed = fix.changes.filter((c) => c.before !== c.after);
  if (changed.length === 0) return { ok: false, reason: 'no_change' };
  if (changed.length > 1) return { ok: false, reason: 'multiple_files' };
  const change = changed[0] as FileChange;
  const culprit = fix.culprit;
  if (culprit === null || culprit.path !== change.path) return { ok: false, reason: 'no_culprit' };

  const patch = structuredPatch(change.path, change.path, change.before, change.after, '', '', {
    context: 3,
  });
  if (patch.hunks.length !== 1) return { ok: false, reason: 'multiple_hunks' };
  const changedLines = (patch.hunks[0]?.lines ?? []).filter(
    (l) => l.startsWith('+') || l.startsWith('-'),
  ).length;
  if (changedLines > MAX_CHANGED_LINES) return { ok: false, reason: 'too_large' };

  const before = parseSource(change.path, change.before);
  const after = parseSource(change.path, change.after);
  if (before === null || after === null) return { ok: false, reason: 'parse_failed' };
  const region = changedRegion(before, after);
  if (region === null) return { ok: false, reason: 'no_change' };
  if (region.before.length > MAX_SEARCH_TOKENS || region.after.length > MAX_REPLACE_TOKENS) {
    return { ok: false, reason: 'too_large' };
  }
  const first = region.before[0];
  const last = region.before[region.before.length - 1];
  if (!first || !last) return { ok: false, reason: 'no_anchor' };
  const distance =
    culprit.line < first.line ? first.line - culprit.line : Math.max(0, culprit.line - last.line);
  if (distance > MAX_DISTANCE) return { ok: false, reason: 'far_from_culprit' };

  const names = new Map<string, number>();
  const search = abstractTokens(region.before, holeStarts(before), names, true);
  if (!hasAnchor(search, region.before)) return { ok: false, reason: 'no_anchor' };
  const afterHoles = holeStarts(after);
  const replaceTokens = abstractTokens(region.after, afterHoles, names, false);
  const replace = abstractText(after.text, region.after, afterHoles, names);

  const template = parameterizeMessage(fix.message);
  if (template.length === 0 || template.includes('<@') || template.length > 2048) {
    return { ok: false, reason: 'template_unsafe' };
  }
  // Code is no place for personal data, but a learned template is stored and reused: anything
  // the scrubber would change keeps the fix from becoming a pattern.
  const texts = [
    ...search.flatMap((t) => ('t' in t ? [t.t] : [])),
    ...replace.flatMap((p) => ('text' in p ? [p.text] : [])),
  ];
  if (texts.some((t) => scrubText(t) !== t)) return { ok: false, reason: 'pii_in_template' };

  const params = TokenRewriteParamsSchema.parse({
    v: 1,
    search,
    replace,
    replaceTokens,
    indent: lineIndentAt(before.text, first.start).slice(0, 64),
    window: Math.min(10, distance + 2),
  });
  return {
    ok: true,
    errorType: fix.errorType,
    template,
    frameShape: frameShapeIn(before, culprit),
    params,
  };
}

export async function extractPattern(db: D1Database, fix: MergedFix): Promise<ExtractResult> {
  if (fix.env !== 'production') return { status: 'skipped_env', env: fix.env };
  const built = buildLearnedPattern(fix);
  if (!built.ok) return refused(built.reason);
  const scope = repoScope(fix.repo);
  const params = JSON.stringify(built.params);
  const id = await patternId(scope, [built.errorType, built.template, built.frameShape, params]);
  const now = fix.now ?? Date.now();
  const result = await db
    .prepare(
      `INSERT INTO fix_patterns (id, scope, error_type, message_template, frame_shape, transform,
         params, confidence, uses, successes, failures, state, provenance, source_pr_url,
         source_repo, learned_env, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'token-rewrite', ?6, ?7, 0, 0, 0, 'active', 'learned', ?8, ?9,
         ?10, ?11, ?11)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      id,
      scope,
      built.errorType,
      built.template,
      built.frameShape,
      params,
      LEARNED_CONFIDENCE,
      fix.prUrl.slice(0, 500),
      fix.repo,
      fix.env,
      now,
    )
    .run();
  return { status: 'learned', patternId: id, created: result.meta.changes > 0 };
}
