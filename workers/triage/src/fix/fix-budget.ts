import { z } from 'zod';

const DAY_MS = 86_400_000;
const SpentSchema = z.object({ spent: z.number().nullable() });

/**
 * Model spend of the current UTC day across every repository (`fix_model_calls`, written by the
 * model fixer per call): what `models.budget.perDayUsd` is checked against before a fix is queued.
 */
export async function dailyModelSpendUsd(db: D1Database, now: number): Promise<number> {
  const dayStart = now - (now % DAY_MS);
  const row = await db
    .prepare('SELECT sum(cost_usd) AS spent FROM fix_model_calls WHERE started_at >= ?1')
    .bind(dayStart)
    .first();
  return SpentSchema.parse(row ?? { spent: 0 }).spent ?? 0;
}
