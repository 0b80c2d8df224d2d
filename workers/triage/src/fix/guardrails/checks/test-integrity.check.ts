import type { FileReview } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';

/**
 * A fix may add tests, never take them away (docs/architecture.md#guardrails: no deleted tests or
 * assertions): the cheapest way to turn CI green is to delete what fails. A test file must not be
 * deleted or emptied, lose `test`/`it`/`describe` calls or `expect`/`assert` calls, or gain
 * `.skip`, `.only`, `.todo`, `xit` and the like (`.only` skips every other test).
 */
export function checkTestIntegrity(r: FileReview): GuardrailRejection[] {
  if (!r.isTest) return [];
  if (r.after.trim() === '') {
    return r.before.trim() === ''
      ? []
      : [{ reason: 'deleted_test', path: r.path, detail: 'the test file is deleted or emptied' }];
  }
  const before = r.scanBefore;
  const after = r.scanAfter;
  if (before === null || after === null) return [];
  const out: GuardrailRejection[] = [];
  if (after.tests.length < before.tests.length) {
    out.push({
      reason: 'deleted_test',
      path: r.path,
      detail: `fewer test calls (${after.tests.length} < ${before.tests.length})`,
    });
  }
  if (after.assertions.length < before.assertions.length) {
    out.push({
      reason: 'deleted_test',
      path: r.path,
      detail: `fewer assertions (${after.assertions.length} < ${before.assertions.length})`,
    });
  }
  if (after.vacuous.length > before.vacuous.length) {
    const line = after.vacuous.find((l) => r.addedLines?.has(l));
    out.push({
      reason: 'deleted_test',
      path: r.path,
      ...(line === undefined ? {} : { line }),
      detail: 'an assertion on constants only, which cannot fail',
    });
  }
  if (after.skips.length > before.skips.length) {
    const line = after.skips.find((l) => r.addedLines?.has(l));
    out.push({
      reason: 'deleted_test',
      path: r.path,
      ...(line === undefined ? {} : { line }),
      detail: 'skips or focuses tests (.skip, .only, .todo, xit)',
    });
  }
  return out;
}
