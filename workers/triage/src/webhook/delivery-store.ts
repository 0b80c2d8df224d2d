/**
 * `triage_webhook_deliveries`: each `X-GitHub-Delivery` is processed once. A delivery whose
 * processing failed may be processed again (GitHub's "Redeliver"); one that succeeded, was
 * ignored or was invalid is acknowledged without effect. One still `processing` after a lease
 * belonged to an invocation that died before finishing (issue 11, item 3): without the lease it
 * would answer "duplicate" to every redelivery and never be processed.
 */
export type DeliveryOutcome = 'processing' | 'processed' | 'ignored' | 'invalid' | 'failed';

/** GitHub gives up on a delivery after 10 s; a handler still "processing" after this is dead. */
export const DELIVERY_LEASE_MS = 5 * 60_000;

/** True if this call owns the delivery; false if it was seen before (or is in flight). */
export async function claimDelivery(
  db: D1Database,
  delivery: { id: string; event: string; action: string | null; repo: string | null },
  now: number,
  leaseMs = DELIVERY_LEASE_MS,
): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO triage_webhook_deliveries (delivery_id, event, action, repo, outcome, received_at)
       VALUES (?1, ?2, ?3, ?4, 'processing', ?5)
       ON CONFLICT (delivery_id) DO UPDATE SET outcome = 'processing', received_at = excluded.received_at
         WHERE outcome = 'failed' OR (outcome = 'processing' AND received_at <= ?6)
       RETURNING delivery_id`,
    )
    .bind(delivery.id, delivery.event, delivery.action, delivery.repo, now, now - leaseMs)
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
