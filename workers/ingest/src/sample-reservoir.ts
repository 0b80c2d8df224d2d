import { samplesTable, upsertRow } from '@homeostat/shared';
import type { FlushStatement } from './d1-flush.ts';

/**
 * The scrubbed samples of one fingerprint, as a reservoir (Vitter's algorithm R) rather than "the
 * last five": every event so far had the same chance to be kept, and the kept set changes with
 * probability k/n at the n-th event, so after the first few it rarely changes and D1 is written
 * only when it does (issue 14, item 2: before, every flush inserted five new rows and deleted five,
 * each with its index entries). A regression starts a fresh reservoir, so the samples show the
 * problem as it came back.
 *
 * D1 holds exactly the kept set: the object remembers which samples D1 has and writes only the
 * difference — inserts of new ones, deletes of dropped ones, never a rewrite of an unchanged row.
 */

/** Scrubbed samples kept per fingerprint. */
export const SAMPLES_KEPT = 5;

export interface SampleEvent {
  eventId: string;
  surface: string;
  occurredAt: number;
  /** The scrubbed event as JSON. */
  event: string;
}

type KeptRow = {
  event_id: string;
  version: string;
  surface: string;
  occurred_at: number;
  received_at: number;
  event: string;
};

export function createReservoirTables(sql: SqlStorage): void {
  sql.exec(`
    DROP TABLE IF EXISTS samples;
    CREATE TABLE IF NOT EXISTS reservoir (
      slot INTEGER PRIMARY KEY, event_id TEXT NOT NULL, version TEXT NOT NULL, surface TEXT NOT NULL,
      occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, event TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS samples_in_d1 (event_id TEXT PRIMARY KEY) WITHOUT ROWID;
  `);
}

/**
 * Offers newly counted events to the reservoir; `seen` is how many were offered before (the state
 * row's `reservoir_seen`), and the new count is returned for the caller to store with the state.
 */
export function offerSamples(
  sql: SqlStorage,
  events: readonly SampleEvent[],
  version: string,
  now: number,
  before: number,
  random: () => number = Math.random,
): number {
  let seen = before;
  for (const e of events) {
    seen++;
    const slot = seen <= SAMPLES_KEPT ? seen - 1 : Math.floor(random() * seen);
    if (slot >= SAMPLES_KEPT) continue;
    sql.exec(
      `INSERT INTO reservoir (slot, event_id, version, surface, occurred_at, received_at, event)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (slot) DO UPDATE SET event_id = excluded.event_id, version = excluded.version,
         surface = excluded.surface, occurred_at = excluded.occurred_at,
         received_at = excluded.received_at, event = excluded.event`,
      slot,
      e.eventId,
      version,
      e.surface,
      e.occurredAt,
      now,
      e.event,
    );
  }
  return seen;
}

/** Starts a fresh reservoir: the next events replace the kept ones. */
export function resetReservoir(sql: SqlStorage): void {
  sql.exec('UPDATE state SET reservoir_seen = 0 WHERE id = 1');
}

/** Whether the kept set differs from what D1 has. */
export function samplesChanged(sql: SqlStorage): boolean {
  return (
    sql
      .exec(
        `SELECT 1 FROM reservoir WHERE event_id NOT IN (SELECT event_id FROM samples_in_d1)
         UNION ALL
         SELECT 1 FROM samples_in_d1 WHERE event_id NOT IN (SELECT event_id FROM reservoir)
         LIMIT 1`,
      )
      .toArray().length > 0
  );
}

/**
 * The statements that make D1's samples of this fingerprint the kept set, and the bookkeeping
 * that records them as written (call inside the step that stores the batch).
 */
export function drainSampleChanges(
  sql: SqlStorage,
  key: { extensionId: string; fingerprint: string },
): FlushStatement[] {
  const added = sql
    .exec<KeptRow>(
      `SELECT event_id, version, surface, occurred_at, received_at, event FROM reservoir
       WHERE event_id NOT IN (SELECT event_id FROM samples_in_d1)`,
    )
    .toArray();
  const removed = sql
    .exec<{ event_id: string }>(
      'SELECT event_id FROM samples_in_d1 WHERE event_id NOT IN (SELECT event_id FROM reservoir)',
    )
    .toArray()
    .map((r) => r.event_id);
  const statements: FlushStatement[] = [];
  if (removed.length > 0) {
    statements.push({
      sql: `DELETE FROM samples WHERE extension_id = ? AND event_id IN (${removed.map(() => '?').join(', ')})`,
      params: [key.extensionId, ...removed],
    });
  }
  for (const x of added) {
    // Built from the read model (packages/shared/src/read-model, issue 14 item 4).
    statements.push(
      upsertRow(
        samplesTable,
        { extension_id: key.extensionId, fingerprint: key.fingerprint, ...x },
        'ignore',
      ),
    );
  }
  for (const id of removed) sql.exec('DELETE FROM samples_in_d1 WHERE event_id = ?', id);
  for (const x of added) sql.exec('INSERT INTO samples_in_d1 (event_id) VALUES (?)', x.event_id);
  return statements;
}
