import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Prints vitest's JSON report as the plain closing line CI readers recognise in any language:
 * `N passed, N failed, N skipped`.
 */
const Report = z.object({
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numPendingTests: z.number(),
  numTodoTests: z.number().default(0),
});
const file = process.argv[2];
if (file === undefined) throw new Error('usage: test-summary.ts <vitest-json-report>');
const r = Report.parse(JSON.parse(readFileSync(file, 'utf8')));
console.log(
  `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
);
