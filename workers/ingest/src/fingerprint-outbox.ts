import type { TriageQueueMessage } from '@homeostat/shared';
import { readState } from './fingerprint-state.ts';

/**
 * The outbox of transitions to the triage queue. A transition is stored with the state change
 * that causes it (fingerprint-transitions.ts) and sent from the alarm only once the projection
 * carrying it has reached D1, so triage never hears of a fingerprint it cannot read yet. An unsent
 * one is resent by the next alarm, in order; triage is idempotent, so a resend after a crash
 * between sending and the bookkeeping is harmless.
 */
export async function sendTransitions(sql: SqlStorage, queue: Queue): Promise<void> {
  const s = readState(sql);
  if (s === null) return;
  const rows = sql
    .exec<{ seq: number; kind: TriageQueueMessage['reason']; at: number }>(
      'SELECT seq, kind, at FROM transitions WHERE sent = 0 AND flushed = 1 ORDER BY seq',
    )
    .toArray();
  for (const row of rows) {
    const message: TriageQueueMessage = {
      v: 1,
      kind: 'fingerprint',
      fingerprintId: s.fingerprint,
      extensionId: s.extension_id,
      reason: row.kind,
      at: new Date(row.at).toISOString(),
    };
    try {
      await queue.send(message);
    } catch {
      return; // the alarm retries; order is kept
    }
    sql.exec('UPDATE transitions SET sent = 1 WHERE seq = ?', row.seq);
  }
  sql.exec('DELETE FROM transitions WHERE sent = 1 AND flushed = 1');
}
