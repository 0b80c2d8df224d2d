import { z } from 'zod';

/**
 * `fix_model_calls` (D1-schema.sql): one row per HTTP call to a model provider. Spend is read
 * back from here before every call, so the budget counts what was really recorded — including
 * calls of this same proposal a moment ago and calls of other runs the same day.
 */

const DAY_MS = 86_400_000;

export type ModelCallStatus = 'ok' | 'error' | 'timeout' | 'rate_limited';

export interface ModelCallRow {
  runId: string;
  repo: string;
  extensionId: string;
  fingerprint: string;
  attempt: number;
  provider: string;
  model: string;
  status: ModelCallStatus;
  httpStatus: number | null;
  choices: number;
  inputTokens: number;
  outputTokens: number;
  usageEstimated: boolean;
  costUsd: number;
  startedAt: number;
  latencyMs: number;
}

const IdSchema = z.object({ id: z.number() });
const SpentSchema = z.object({ run: z.number().nullable(), day: z.number().nullable() });

export async function recordModelCall(db: D1Database, row: ModelCallRow): Promise<number> {
  const inserted = await db
    .prepare(
      `INSERT INTO fix_model_calls (run_id, repo, extension_id, fingerprint, attempt, provider,
         model, status, http_status, choices, input_tokens, output_tokens, usage_estimated,
         cost_usd, started_at, latency_ms)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
       RETURNING id`,
    )
    .bind(
      row.runId,
      row.repo,
      row.extensionId,
      row.fingerprint,
      row.attempt,
      row.provider,
      row.model,
      row.status,
      row.httpStatus,
      row.choices,
      row.inputTokens,
      row.outputTokens,
      row.usageEstimated ? 1 : 0,
      row.costUsd,
      row.startedAt,
      Math.max(0, Math.round(row.latencyMs)),
    )
    .first();
  return IdSchema.parse(inserted).id;
}

/** Spend of the run, and of the current UTC day across every repository. */
export async function modelSpend(
  db: D1Database,
  runId: string,
  now: number,
): Promise<{ runUsd: number; dayUsd: number }> {
  const dayStart = now - (now % DAY_MS);
  const row = await db
    .prepare(
      `SELECT sum(CASE WHEN run_id = ?1 THEN cost_usd ELSE 0 END) AS run,
              sum(CASE WHEN started_at >= ?2 THEN cost_usd ELSE 0 END) AS day
         FROM fix_model_calls WHERE run_id = ?1 OR started_at >= ?2`,
    )
    .bind(runId, dayStart)
    .first();
  const spent = SpentSchema.parse(row ?? { run: 0, day: 0 });
  return { runUsd: spent.run ?? 0, dayUsd: spent.day ?? 0 };
}
