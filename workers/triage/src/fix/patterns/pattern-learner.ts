import type { HomeostatEnv } from '@homeostat/shared';
import { z } from 'zod';
import type { PatternState } from './pattern-store.ts';

/**
 * The pattern learner (issue 9 item 4, issue 10 item 5; seed 001 "PatternLearner"): every
 * outcome of a pattern's candidate moves its confidence by an exponential moving average,
 *   confidence ← 0.9 · confidence + 0.1 · (success ? 1 : 0)
 * and a pattern under 0.5 after at least 10 uses is retired. Learning happens only when
 * HOMEOSTAT_ENV is production (the seeds' feature flag): dev and test runs never move it.
 *
 * Each outcome counts once: its id (the fix attempt's id, say) goes into fix_pattern_outcomes in
 * the same D1 batch (a transaction) as the update, and the update only applies while that row is
 * uncounted, so a redelivered webhook changes nothing.
 */

export const LEARNING_RATE = 0.1;
export const RETIRE_BELOW = 0.5;
export const RETIRE_MIN_USES = 10;

export interface PatternOutcomeInput {
  patternId: string;
  /** What makes this outcome unique, e.g. `attempt:<triage_attempts.id>`. */
  outcomeId: string;
  /** Merged with its checks green (issue 10): a success; a red check or a closed PR: a failure. */
  success: boolean;
  env: HomeostatEnv;
  now?: number;
}

export type PatternOutcomeResult =
  | {
      status: 'recorded';
      confidence: number;
      uses: number;
      successes: number;
      failures: number;
      state: PatternState;
      retired: boolean;
    }
  | { status: 'duplicate' } // this outcome id was counted before
  | { status: 'unknown_pattern' }
  | { status: 'skipped_env'; env: HomeostatEnv };

const StatsSchema = z.object({
  confidence: z.number(),
  uses: z.int(),
  successes: z.int(),
  failures: z.int(),
  state: z.enum(['active', 'retired', 'quarantined']),
});

export async function recordPatternOutcome(
  db: D1Database,
  input: PatternOutcomeInput,
): Promise<PatternOutcomeResult> {
  if (input.env !== 'production') return { status: 'skipped_env', env: input.env };
  const now = input.now ?? Date.now();
  const s = input.success ? 1 : 0;
  const [, updated, , stats] = await db.batch([
    db
      .prepare(
        `INSERT INTO fix_pattern_outcomes (outcome_id, pattern_id, success, env, counted, recorded_at)
         SELECT ?1, ?2, ?3, ?4, 0, ?5 WHERE EXISTS (SELECT 1 FROM fix_patterns WHERE id = ?2)
         ON CONFLICT (outcome_id) DO NOTHING`,
      )
      .bind(input.outcomeId, input.patternId, s, input.env, now),
    // One expression for the new confidence, used twice: SQLite computes the same double as JS.
    db
      .prepare(
        `UPDATE fix_patterns SET
           confidence = (1 - ?3) * confidence + ?3 * ?2,
           uses = uses + 1,
           successes = successes + ?2,
           failures = failures + (1 - ?2),
           state = CASE
             WHEN state = 'active' AND uses + 1 >= ?4 AND (1 - ?3) * confidence + ?3 * ?2 < ?5
               THEN 'retired'
             ELSE state END,
           updated_at = ?6
         WHERE id = ?1 AND EXISTS (
           SELECT 1 FROM fix_pattern_outcomes WHERE outcome_id = ?7 AND pattern_id = ?1 AND counted = 0)`,
      )
      .bind(input.patternId, s, LEARNING_RATE, RETIRE_MIN_USES, RETIRE_BELOW, now, input.outcomeId),
    db
      .prepare('UPDATE fix_pattern_outcomes SET counted = 1 WHERE outcome_id = ?1')
      .bind(input.outcomeId),
    db
      .prepare(
        'SELECT confidence, uses, successes, failures, state FROM fix_patterns WHERE id = ?1',
      )
      .bind(input.patternId),
  ]);
  const row = stats?.results[0];
  if (row === undefined) return { status: 'unknown_pattern' };
  if ((updated?.meta.changes ?? 0) === 0) return { status: 'duplicate' };
  const p = StatsSchema.parse(row);
  return { status: 'recorded', ...p, retired: p.state === 'retired' };
}
