import { excess, type FileReview, locate } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { controlCharacters } from '../text-scan.ts';

/**
 * Source files are text: a change that adds NUL or other control characters, U+FFFD (what a
 * decoder leaves of bytes that were not text) or unpaired surrogates (which no UTF-8 commit can
 * hold) is binary content, and nothing else about it can be reviewed.
 */
export function checkBinary(r: FileReview): GuardrailRejection[] {
  if (!r.after.isWellFormed()) {
    return [{ reason: 'binary_content', path: r.path, detail: 'unpaired UTF-16 surrogates' }];
  }
  const added = excess(
    controlCharacters(r.before),
    locate(r.afterLineStarts, controlCharacters(r.after)),
    r.addedLines,
  );
  const first = added[0];
  return first === undefined
    ? []
    : [
        {
          reason: 'binary_content',
          path: r.path,
          line: first.line,
          detail: first.token === '\0' ? 'NUL bytes' : 'control characters',
        },
      ];
}
