import { z } from 'zod';
import type { ReleaseNotifier } from './release-notifier.ts';

/**
 * Delivers due rows of the `canary_notifications` outbox. A row is claimed by a compare-and-set on
 * its attempt count before it is sent, so two overlapping ticks do not post it twice; a failure is
 * retried with exponential backoff (1 min doubling, at most 1 h) and is never dropped. `recorded`:
 * kept but not sent on, either because there is no triage binding at run time or because triage
 * itself is in dry-run mode (no GitHub credentials) and recorded it in its own outbox.
 * The outcome is written only while the row still carries this delivery's claim: a post that
 * answers after its claim expired and a later tick re-claimed the row (a slow webhook, a late
 * RPC answer) never overwrites the newer delivery's outcome (issue 11, item 4).
 */
export interface Notifiers {
  github: ReleaseNotifier | null;
  slack: ReleaseNotifier | null;
}

const DueRowSchema = z.object({
  id: z.int(),
  channel: z.enum(['github', 'slack']),
  title: z.string(),
  body: z.string(),
  attempts: z.int(),
  extension_id: z.string(),
  version: z.string(),
});

const BATCH = 25;
const MAX_BACKOFF_MS = 3_600_000;

export interface DeliveryReport {
  sent: number;
  recorded: number;
  failed: number;
}

export async function deliverOutbox(
  db: D1Database,
  notifiers: Notifiers,
  now: number,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, recorded: 0, failed: 0 };
  const { results } = await db
    .prepare(
      `SELECT n.id, n.channel, n.title, n.body, n.attempts, r.extension_id, r.version
       FROM canary_notifications n JOIN canary_rollouts r ON r.id = n.rollout_id
       WHERE n.status IN ('pending', 'failed') AND n.next_attempt_at <= ?1
       ORDER BY n.id LIMIT ${BATCH}`,
    )
    .bind(now)
    .all();
  for (const raw of results) {
    const row = DueRowSchema.parse(raw);
    const notifier = notifiers[row.channel];
    if (notifier === null) {
      await db
        .prepare(
          "UPDATE canary_notifications SET status = 'recorded', updated_at = ?2 WHERE id = ?1 AND attempts = ?3",
        )
        .bind(row.id, now, row.attempts)
        .run();
      report.recorded++;
      continue;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, 60_000 * 2 ** row.attempts);
    const claim = await db
      .prepare(
        `UPDATE canary_notifications SET attempts = attempts + 1, next_attempt_at = ?3, updated_at = ?2
         WHERE id = ?1 AND attempts = ?4 AND status IN ('pending', 'failed')`,
      )
      .bind(row.id, now, now + backoff, row.attempts)
      .run();
    if (claim.meta.changes !== 1) continue;
    const claimed = row.attempts + 1;
    try {
      const receipt = await notifier.post({
        extensionId: row.extension_id,
        version: row.version,
        title: row.title,
        body: row.body,
      });
      const status = receipt?.status ?? 'sent';
      await db
        .prepare(
          `UPDATE canary_notifications SET status = ?3, last_error = NULL, updated_at = ?2
           WHERE id = ?1 AND attempts = ?4`,
        )
        .bind(row.id, now, status, claimed)
        .run();
      report[status]++;
    } catch (err) {
      // Only the error's name and a bounded message: a notifier error never carries secrets.
      const reason = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'error';
      await db
        .prepare(
          `UPDATE canary_notifications SET status = 'failed', last_error = ?3, updated_at = ?2
           WHERE id = ?1 AND attempts = ?4`,
        )
        .bind(row.id, now, reason, claimed)
        .run();
      report.failed++;
    }
  }
  return report;
}
