/**
 * The Fingerprint object's own row (one per object) and its small named values. Every other part
 * of the object (counts, transitions, projection, outboxes) reads and writes through here, inside
 * the object's synchronous storage transactions.
 */

export type FingerprintState = 'pending' | 'open' | 'fixed' | 'regressed';

export type StateRow = {
  extension_id: string;
  fingerprint: string;
  error_type: string;
  title: string;
  culprit: string | null;
  events: number;
  first_seen: number;
  last_seen: number;
  first_version: string;
  last_version: string;
  state: FingerprintState;
  fixed_in_version: string | null;
  resolved_at: number;
  threshold_level: number;
  installs_exact: number;
  approximate: number;
  hll: ArrayBuffer;
  dirty: number;
  flush_interval_ms: number;
  /** Events offered to the sample reservoir since it was last reset (sample-reservoir.ts). */
  reservoir_seen: number;
  /** Events per UTC day, the last 14 days, as D1's `fingerprints.daily_events` JSON. */
  daily_events: string | null;
};

/** Named values kept beside the state row (added after it; see `meta`). */
export type MetaKey =
  /** Random per object: the salt of its network-prefix hashes. */
  | 'salt'
  /** When the last D1 projection was sent (epoch ms). */
  | 'flushed_at'
  /** When the samples in D1 last changed (epoch ms). */
  | 'samples_written_at'
  /** When D1's `fingerprint_resolutions` row was last read (epoch ms). */
  | 'resolution_checked_at';

export function createStateTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      extension_id TEXT NOT NULL, fingerprint TEXT NOT NULL, error_type TEXT NOT NULL,
      title TEXT NOT NULL, culprit TEXT, events INTEGER NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
      first_version TEXT NOT NULL, last_version TEXT NOT NULL,
      state TEXT NOT NULL, fixed_in_version TEXT, resolved_at INTEGER NOT NULL DEFAULT 0,
      threshold_level INTEGER NOT NULL DEFAULT 0,
      installs_exact INTEGER NOT NULL DEFAULT 0, approximate INTEGER NOT NULL DEFAULT 0,
      hll BLOB NOT NULL, dirty INTEGER NOT NULL DEFAULT 0, flush_interval_ms INTEGER NOT NULL,
      reservoir_seen INTEGER NOT NULL DEFAULT 0, daily_events TEXT);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
  `);
  // Objects made before these columns existed get them; per-event values live in the state row
  // so that an event costs one write of it, not one per value (DO SQLite bills rows written).
  const columns = new Set(
    sql
      .exec<{ name: string }>('SELECT name FROM pragma_table_info(?)', 'state')
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has('reservoir_seen')) {
    sql.exec('ALTER TABLE state ADD COLUMN reservoir_seen INTEGER NOT NULL DEFAULT 0');
  }
  if (!columns.has('daily_events')) sql.exec('ALTER TABLE state ADD COLUMN daily_events TEXT');
}

export function readState(sql: SqlStorage): StateRow | null {
  return sql.exec<StateRow>('SELECT * FROM state WHERE id = 1').toArray()[0] ?? null;
}

export function mustReadState(sql: SqlStorage): StateRow {
  const s = readState(sql);
  if (s === null) throw new Error('fingerprint state missing');
  return s;
}

export function getMeta<T extends string | number>(sql: SqlStorage, key: MetaKey): T | null {
  return (
    (sql.exec<{ value: T }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value as
      | T
      | undefined) ?? null
  );
}

export function setMeta(sql: SqlStorage, key: MetaKey, value: string | number): void {
  sql.exec(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    key,
    value,
  );
}

/** Marks the state row as changed since the last projection. */
export function markDirty(sql: SqlStorage): void {
  sql.exec('UPDATE state SET dirty = 1 WHERE id = 1 AND dirty = 0');
}
