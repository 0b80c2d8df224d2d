import type { FixQueueMessage, HomeostatConfig, TriageQueueMessage } from '@homeostat/shared';
import { z } from 'zod';
import { errorCode } from '../errors.ts';

/**
 * Triage's cron (issue 10, item 4): the seed backoff (24h·2ⁿ) is longer than a queue message may
 * be delayed, so due retries are found here. A fingerprint whose last attempt failed and whose
 * backoff has passed goes back through the triage pipeline (reason `retry`), which re-checks every
 * gate — opt-out, class, attempts, budget — before it queues the next fix attempt with the last
 * CI summary. Attempts stuck before CI (a fix message lost or dead-lettered) are re-sent for the
 * same attempt number; the fix consumer resumes them from their recorded stage.
 *
 * Cron triggers are at-least-once: the `cron_runs` row makes a repeated tick a no-op.
 */

const DueRowSchema = z.object({
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
});
const StuckRowSchema = z.object({
  extension_id: z.string(),
  fingerprint: z.string(),
  n: z.number(),
  feedback: z.string().nullable(),
});

const MAX_PER_TICK = 50;
/** A fix attempt that has not reached a PR after this long lost its message. */
export const STUCK_AFTER_MS = 60 * 60 * 1000;

export interface SweepDeps {
  db: D1Database;
  config: HomeostatConfig;
  triageQueue: Queue;
  fixQueue: Queue;
  now: () => number;
}

export async function sweepFixes(
  deps: SweepDeps,
  scheduledTime: number,
  cron: string,
): Promise<{ retried: number; resent: number } | null> {
  const now = deps.now();
  const claimed = await deps.db
    .prepare(
      `INSERT INTO cron_runs (worker, cron, scheduled_at, started_at) VALUES ('triage', ?1, ?2, ?3)
       ON CONFLICT (worker, cron, scheduled_at) DO NOTHING RETURNING id`,
    )
    .bind(cron, scheduledTime, now)
    .first();
  if (claimed === null) return null;
  let retried = 0;
  let resent = 0;
  try {
    const due = await deps.db
      .prepare(
        `SELECT s.repo, s.extension_id, s.fingerprint FROM triage_attempt_state s
         JOIN triage_issues i ON i.repo = s.repo AND i.extension_id = s.extension_id
           AND i.fingerprint = s.fingerprint
         WHERE s.last_result = 'failure' AND s.backoff_until IS NOT NULL AND s.backoff_until <= ?1
           AND i.state = 'open' AND i.opted_out = 0
         ORDER BY s.backoff_until LIMIT ?2`,
      )
      .bind(now, MAX_PER_TICK)
      .all();
    for (const raw of due.results) {
      const row = DueRowSchema.parse(raw);
      const repo = deps.config.repositories.find((r) => r.slug.toLowerCase() === row.repo);
      if (repo === undefined) continue;
      const message: TriageQueueMessage = {
        v: 1,
        kind: 'fingerprint',
        fingerprintId: row.fingerprint,
        extensionId: row.extension_id,
        reason: 'retry',
        at: new Date(now).toISOString(),
      };
      await deps.triageQueue.send(message);
      retried++;
    }
    const stuck = await deps.db
      .prepare(
        `SELECT r.extension_id, r.fingerprint, r.n, r.feedback FROM fix_attempt_runs r
         JOIN triage_attempts a ON a.id = r.attempt_id
         WHERE a.result = 'pending' AND r.stage IN ('proposing', 'proposed') AND r.updated_at <= ?1
         ORDER BY r.updated_at LIMIT ?2`,
      )
      .bind(now - STUCK_AFTER_MS, MAX_PER_TICK)
      .all();
    for (const raw of stuck.results) {
      const row = StuckRowSchema.parse(raw);
      const message: FixQueueMessage = {
        v: 1,
        kind: 'fix',
        fingerprintId: row.fingerprint,
        extensionId: row.extension_id,
        attempt: row.n,
        ...(row.feedback === null ? {} : { feedback: row.feedback }),
      };
      await deps.fixQueue.send(message);
      resent++;
    }
    await deps.db
      .prepare(`UPDATE cron_runs SET finished_at = ?1, outcome = 'ok', detail = ?2 WHERE id = ?3`)
      .bind(deps.now(), JSON.stringify({ retried, resent }), (claimed as { id: number }).id)
      .run();
  } catch (err) {
    await deps.db
      .prepare(
        `UPDATE cron_runs SET finished_at = ?1, outcome = 'error', detail = ?2 WHERE id = ?3`,
      )
      .bind(deps.now(), errorCode(err), (claimed as { id: number }).id)
      .run();
    throw err;
  }
  return { retried, resent };
}
