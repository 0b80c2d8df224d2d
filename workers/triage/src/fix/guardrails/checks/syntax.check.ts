import type { FileReview } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { parseJson } from '../script-parse.ts';

/**
 * The candidate must parse (research ai-autofix.md §10 check 3: zero touched
 * `.js/.ts/.tsx/.jsx/.json` files that fail to parse) and must change more than whitespace
 * (same check: zero candidates that only change blank lines or whitespace).
 */
export function checkSyntax(r: FileReview): GuardrailRejection[] {
  const out: GuardrailRejection[] = [];
  if (r.parsedAfter !== null && !r.parsedAfter.ok) {
    out.push({
      reason: 'parse_error',
      path: r.path,
      ...(r.parsedAfter.line === null ? {} : { line: r.parsedAfter.line }),
      detail: `does not parse (${r.parsedAfter.code})`,
    });
  }
  if (r.kind === 'json' && r.after.trim() !== '' && !parseJson(r.after).ok) {
    out.push({ reason: 'parse_error', path: r.path, detail: 'not valid JSON' });
  }
  if (r.before.replace(/\s+/g, '') === r.after.replace(/\s+/g, '')) {
    out.push({
      reason: 'whitespace_only',
      path: r.path,
      detail: 'the change only moves whitespace or blank lines',
    });
  }
  return out;
}
