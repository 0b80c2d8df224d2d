import { z } from 'zod';

/**
 * Whether a fix's required checks are green on its exact head SHA (issue 10, item 3), from the CI
 * webhooks recorded in `triage_ci_events`. Only events for the attempt's current head count: a
 * result for an older SHA says nothing about the code that would be merged (ai-autofix.md §8 T7).
 * A result belongs to the commit, not to the attempt: a retry whose fix is the same tree gets the
 * same head SHA, whose checks are already known (the e2e loop found this). The newest event per check name wins, so a re-run that passes replaces
 * the failure it re-ran.
 *
 * Names are matched the way branch protection matches them: a check run's name, a commit
 * status's context, or a workflow's name. With no `requiredChecks` configured, every check run
 * seen must pass and at least one check suite must have completed successfully — Renovate's
 * "green" when nothing is required explicitly.
 */

export type ChecksVerdict =
  | { state: 'pending'; waitingFor: string[] }
  | { state: 'green'; checks: string[] }
  | { state: 'red'; failed: { name: string; conclusion: string }[] };

const EventRowSchema = z.object({
  event: z.string(),
  name: z.string().nullable(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  received_at: z.number(),
});

/** Conclusions that count as passing (GitHub: neutral and skipped do not block a merge). */
const PASSING = new Set(['success', 'neutral', 'skipped']);
const FAILING = new Set([
  'failure',
  'cancelled',
  'timed_out',
  'action_required',
  'startup_failure',
  'stale',
  'error', // commit status state
]);

interface Latest {
  conclusion: string | null;
  at: number;
}

export async function requiredChecksVerdict(
  db: D1Database,
  attemptId: number,
  headSha: string,
  required: readonly string[],
): Promise<ChecksVerdict> {
  const rows = await db
    .prepare(
      `SELECT event, name, status, conclusion, received_at FROM triage_ci_events
       WHERE head_sha = ?2 AND event IN ('check_run', 'status', 'workflow_run', 'check_suite')
         AND attempt_id IN (SELECT id FROM triage_attempts
                            WHERE repo = (SELECT repo FROM triage_attempts WHERE id = ?1))
       ORDER BY received_at, rowid`,
    )
    .bind(attemptId, headSha)
    .all();
  const byName = new Map<string, Latest>();
  const suites: Latest[] = [];
  for (const raw of rows.results) {
    const row = EventRowSchema.parse(raw);
    // A commit status carries its outcome in `state` (pending/success/failure/error).
    const conclusion =
      row.event === 'status'
        ? row.status === 'pending'
          ? null
          : row.status
        : row.status === 'completed' || row.conclusion !== null
          ? row.conclusion
          : null;
    if (row.event === 'check_suite') {
      suites.push({ conclusion, at: row.received_at });
      continue;
    }
    if (row.name === null) continue;
    byName.set(row.name, { conclusion, at: row.received_at });
  }

  const names = required.length > 0 ? [...required] : [...byName.keys()];
  const failed = names.flatMap((name) => {
    const c = byName.get(name)?.conclusion;
    return c !== undefined && c !== null && FAILING.has(c) ? [{ name, conclusion: c }] : [];
  });
  if (failed.length > 0) return { state: 'red', failed };
  if (required.length === 0) {
    const suiteFailed = suites.find((s) => s.conclusion !== null && FAILING.has(s.conclusion));
    if (suiteFailed !== undefined) {
      return {
        state: 'red',
        failed: [{ name: 'check_suite', conclusion: suiteFailed.conclusion ?? '' }],
      };
    }
  }
  const waitingFor = names.filter((name) => {
    const c = byName.get(name)?.conclusion;
    return c === undefined || c === null || !PASSING.has(c);
  });
  if (required.length === 0) {
    const suiteGreen = suites.some((s) => s.conclusion !== null && PASSING.has(s.conclusion));
    if (!suiteGreen) waitingFor.push('check_suite');
  }
  if (waitingFor.length > 0) return { state: 'pending', waitingFor };
  return { state: 'green', checks: names };
}
