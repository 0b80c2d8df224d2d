import { excess, type FileReview, locate } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { codePointLabel, hiddenCharacters, hiddenClass } from '../text-scan.ts';

/**
 * No added bidi controls, zero-width, tag, variation-selector or other invisible characters, and
 * no new non-ASCII identifiers (research ai-autofix.md §8 T9; Trojan Source, CVE-2021-42574):
 * what a reviewer cannot see must not reach a PR. Characters already in the file may stay where
 * they are; a move keeps them, a copy adds them.
 */
export function checkHiddenUnicode(r: FileReview): GuardrailRejection[] {
  const out: GuardrailRejection[] = [];
  const before = hiddenCharacters(r.before);
  const after = locate(r.afterLineStarts, hiddenCharacters(r.after));
  for (const o of excess(before, after, r.addedLines)) {
    out.push({
      reason: 'hidden_unicode',
      path: r.path,
      line: o.line,
      detail: `${hiddenClass(o.token).replaceAll('_', ' ')} ${codePointLabel(o.token)}`,
    });
  }
  if (r.scanAfter !== null) {
    const known = new Set(r.scanBefore?.nonAsciiIdentifiers.map((i) => i.name) ?? []);
    const fresh = r.scanAfter.nonAsciiIdentifiers.filter((i) => !known.has(i.name));
    const first = fresh[0];
    if (first !== undefined) {
      out.push({
        reason: 'hidden_unicode',
        path: r.path,
        line: first.line,
        detail: 'a new identifier with non-ASCII characters (homoglyphs)',
      });
    }
  }
  return out;
}
