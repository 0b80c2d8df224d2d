import { frameSites, SourceCache } from '../ast/frame-sites.ts';
import type { ParsedSource } from '../ast/parse-source.ts';
import { lineIndentAt, type TextEdit } from '../ast/source-edit.ts';
import {
  holeStarts,
  matchAt,
  type ReplacePart,
  type SearchToken,
  TokenRewriteParamsSchema,
} from '../token-template.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * A learned pattern's transform (issue 9 item 4, seed 001): find the search template's token
 * shape within `window` lines of the culprit line, and replace that token run by the replace
 * template with the holes filled by the identifiers the shape bound. Where the replacement's own
 * shape is already there, the fix is already applied.
 */

interface Occurrence {
  from: number;
  to: number;
  bound: Map<number, string>;
  distance: number;
}

function occurrences(
  file: ParsedSource,
  template: readonly SearchToken[],
  holes: ReadonlySet<number>,
  line: number,
  window: number,
): Occurrence[] {
  const out: Occurrence[] = [];
  const tokens = file.tokens;
  for (let i = 0; i + template.length <= tokens.length; i++) {
    const first = tokens[i];
    const last = tokens[i + template.length - 1];
    if (!first || !last) break;
    const distance =
      line < first.line ? first.line - line : line > last.line ? line - last.line : 0;
    if (distance > window) continue;
    const bound = matchAt(tokens, i, template, holes);
    if (bound) out.push({ from: i, to: i + template.length, bound, distance });
  }
  return out.sort((a, b) => a.distance - b.distance || a.from - b.from);
}

function render(parts: readonly ReplacePart[], bound: ReadonlyMap<number, string>): string | null {
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else {
      const name = bound.get(part.hole);
      if (name === undefined) return null;
      out += name;
    }
  }
  return out;
}

/** Moves the replacement's later lines from the learned file's indentation to this one's. */
function reindent(text: string, from: string, to: string): string {
  if (from === to) return text;
  return text
    .split('\n')
    .map((line, i) => (i > 0 && line.startsWith(from) ? to + line.slice(from.length) : line))
    .join('\n');
}

function apply({ ctx, params }: TransformInput): TransformResult {
  const parsed = TokenRewriteParamsSchema.safeParse(params);
  if (!parsed.success) return { ok: false, reason: 'bad_params' };
  const p = parsed.data;
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'culprit'), cache, (site) => {
    const holes = holeStarts(site.file);
    const line = site.frame.line;
    if (
      p.replaceTokens.length > 0 &&
      occurrences(site.file, p.replaceTokens, holes, line, p.window).length > 0
    ) {
      return { refusal: 'already_guarded' };
    }
    const found = occurrences(site.file, p.search, holes, line, p.window)[0];
    if (!found) return { refusal: 'no_target_node' };
    const first = site.file.tokens[found.from];
    const last = site.file.tokens[found.to - 1];
    if (!first || !last) return { refusal: 'no_target_node' };
    const text = render(p.replace, found.bound);
    if (text === null) return { refusal: 'bad_params' };
    const edit: TextEdit = {
      start: first.start,
      end: last.end,
      text: reindent(text, p.indent, lineIndentAt(site.file.text, first.start)),
    };
    return { edits: [edit] };
  });
}

export const tokenRewriteTransform: PatternTransform = {
  id: 'token-rewrite',
  summary: 'Apply the change a reviewed fix made to the same code shape in this repository.',
  apply,
};
