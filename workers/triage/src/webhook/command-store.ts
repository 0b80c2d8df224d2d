/**
 * `triage_webhook_commands`: each comment's command is obeyed at most once (issue 11, item 3).
 * Deliveries are deduplicated by `X-GitHub-Delivery`, but the same signed body can arrive under
 * another delivery id (a replay, or GitHub's "Redeliver", which issues a new id), so commands are
 * keyed on the comment id GitHub assigned. A claim is held while the command runs: released when
 * it fails (so the redelivery runs it), taken over after a lease when its invocation died.
 */

export const COMMAND_LEASE_MS = 5 * 60_000;

export interface CommandKey {
  repo: string;
  commentId: number;
}

/** True if this delivery now owns the comment's command; false if it was or is being handled. */
export async function claimCommand(
  db: D1Database,
  key: CommandKey,
  command: { name: string; deliveryId: string },
  now: number,
  leaseMs = COMMAND_LEASE_MS,
): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO triage_webhook_commands (repo, comment_id, command, delivery_id, outcome, claimed_at)
       VALUES (?1, ?2, ?3, ?4, 'processing', ?5)
       ON CONFLICT (repo, comment_id) DO UPDATE SET delivery_id = excluded.delivery_id,
         claimed_at = excluded.claimed_at
       WHERE outcome = 'processing' AND claimed_at <= ?6
       RETURNING comment_id`,
    )
    .bind(
      key.repo.toLowerCase(),
      key.commentId,
      command.name,
      command.deliveryId,
      now,
      now - leaseMs,
    )
    .first();
  return row !== null;
}

export async function finishCommand(
  db: D1Database,
  key: CommandKey,
  deliveryId: string,
  outcome: 'obeyed' | 'refused',
): Promise<void> {
  await db
    .prepare(
      `UPDATE triage_webhook_commands SET outcome = ?4
       WHERE repo = ?1 AND comment_id = ?2 AND delivery_id = ?3`,
    )
    .bind(key.repo.toLowerCase(), key.commentId, deliveryId, outcome)
    .run();
}

/** The command failed before it was settled: a redelivery may run it again. */
export async function releaseCommand(
  db: D1Database,
  key: CommandKey,
  deliveryId: string,
): Promise<void> {
  await db
    .prepare(
      `DELETE FROM triage_webhook_commands
       WHERE repo = ?1 AND comment_id = ?2 AND delivery_id = ?3 AND outcome = 'processing'`,
    )
    .bind(key.repo.toLowerCase(), key.commentId, deliveryId)
    .run();
}
