/**
 * `triage_webhook_deliveries`: each `X-GitHub-Delivery` is processed once. A delivery whose
 * processing failed may be processed again (GitHub's "Redeliver"); one that succeeded, was
 * ignored or was invalid is acknowledged without effect.
 */
export type DeliveryOutcome = 'processing' | 'processed' | 'ignored' | 'invalid' | 'failed';

/** True if this call owns the delivery; false if it was seen before. */
export async function claimDelivery(
  db: D1Database,
  delivery: { id: string; event: string; action: string | null; repo: string | null },
  now: number,
): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO triage_webhook_deliveries (delivery_id, event, action, repo, outcome, received_at)
       VALUES (?1, ?2, ?3, ?4, 'processing', ?5)
       ON CONFLICT (delivery_id) DO UPDATE SET outcome = 'processing', received_at = excluded.received_at
         WHERE outcome = 'failed'
       RETURNING delivery_id`,
    )
    .bind(delivery.id, delivery.event, delivery.action, delivery.repo, now)
    .first();
  return row !== null;
}

export async function finishDelivery(
  db: D1Database,
  id: string,
  outcome: Exclude<DeliveryOutcome, 'processing'>,
  detail: string | null,
): Promise<void> {
  await db
    .prepare(
      'UPDATE triage_webhook_deliveries SET outcome = ?2, detail = ?3 WHERE delivery_id = ?1',
    )
    .bind(id, outcome, detail)
    .run();
}
