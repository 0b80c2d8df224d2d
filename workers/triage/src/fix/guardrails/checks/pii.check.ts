import { excess, type FileReview } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { piiLabels } from '../text-scan.ts';

/**
 * Nothing the PII scrubber would redact may be added (docs/architecture.md#guardrails; research
 * ai-autofix.md §8 T5): an e-mail address, card number, token or user path in a fix came from
 * somewhere it should not have. Scripts are judged by their literal text (strings, templates,
 * comments, numbers), because the scrubber's `key: value` rule reads code such as
 * `password: form.password.value` as a secret; other files by their lines. Only text that is new
 * to the file is scrubbed: a literal the file already had was not added by the change.
 */
export function checkPii(r: FileReview): GuardrailRejection[] {
  let before: { token: string }[];
  let after: { token: string; line: number }[];
  if (r.kind === 'script') {
    if (r.scanAfter === null) return [];
    before = r.scanBefore?.pieces.map((p) => ({ token: p.text })) ?? [];
    after = r.scanAfter.pieces.map((p) => ({ token: p.text, line: p.line }));
  } else {
    before = r.before.split('\n').map((l) => ({ token: l.trim() }));
    after = r.after.split('\n').map((l, i) => ({ token: l.trim(), line: i + 1 }));
  }
  const out: GuardrailRejection[] = [];
  for (const piece of excess(before, after, r.addedLines)) {
    const labels = piiLabels(piece.token);
    if (labels === null) continue;
    out.push({
      reason: 'pii',
      path: r.path,
      line: piece.line,
      detail: `the scrubber would redact it as ${labels.join(', ')}`,
    });
  }
  return out;
}
