import type { Surface } from '@homeostat/shared';
import type { StateRow } from './fingerprint-state.ts';
import { hllAdd, hllEstimate } from './hyperloglog.ts';

/**
 * Counting and install estimation for one Fingerprint object: which events are new (resubmitted
 * event ids count once), events and distinct sessions per version and surface, distinct installs
 * (exact up to a bound, then HyperLogLog) and, while the problem is pending, distinct networks.
 */

/** Distinct installs are counted exactly up to this bound, then by HyperLogLog. */
const EXACT_INSTALLS_BOUND = 1_000;
/** Event ids remembered to recognise a resubmitted event. */
const RECENT_EVENTS_KEPT = 10_000;
const RECENT_EVENTS_TTL_MS = 7 * 24 * 3_600_000;
/** Distinct sessions are counted exactly per version and surface up to this bound. */
const SESSIONS_PER_VERSION_KEPT = 100;

export interface IncomingEvent {
  eventId: string;
  surface: Surface;
  occurredAt: number;
  sessionId: string | null;
  /** The scrubbed event as JSON. */
  event: string;
}

export type RecordStatus = 'new' | 'known' | 'duplicate';

export function createCountTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS installs (install_hash TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS networks (network_hash TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS versions (
      version TEXT NOT NULL, surface TEXT NOT NULL, events INTEGER NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, dirty INTEGER NOT NULL,
      sessions INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (version, surface)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS version_sessions (
      version TEXT NOT NULL, surface TEXT NOT NULL, session_id TEXT NOT NULL,
      PRIMARY KEY (version, surface, session_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS recent_events (event_id TEXT PRIMARY KEY, at INTEGER NOT NULL)
      WITHOUT ROWID;
  `);
}

/**
 * Counts the events not seen before, per version and surface; `before` is the object's event
 * count, so the very first event of the problem is `new`.
 */
export function countEvents(
  sql: SqlStorage,
  input: { version: string; now: number; events: readonly IncomingEvent[] },
  before: number,
): { statuses: RecordStatus[]; fresh: IncomingEvent[] } {
  const statuses: RecordStatus[] = [];
  const fresh: IncomingEvent[] = [];
  for (const e of input.events) {
    const inserted = sql
      .exec(
        'INSERT INTO recent_events (event_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1',
        e.eventId,
        input.now,
      )
      .toArray().length;
    if (inserted === 0) {
      statuses.push('duplicate');
      continue;
    }
    statuses.push(before + fresh.length === 0 ? 'new' : 'known');
    fresh.push(e);
    // One write of the version's row for the event and its session together.
    const newSession =
      e.sessionId === null ? 0 : countSession(sql, input.version, e.surface, e.sessionId);
    sql.exec(
      `INSERT INTO versions (version, surface, events, first_seen, last_seen, dirty, sessions)
       VALUES (?, ?, 1, ?, ?, 1, ?)
       ON CONFLICT (version, surface) DO UPDATE SET events = events + 1,
         last_seen = excluded.last_seen, dirty = 1, sessions = sessions + excluded.sessions`,
      input.version,
      e.surface,
      input.now,
      input.now,
      newSession,
    );
  }
  return { statuses, fresh };
}

/**
 * Distinct sessions per version and surface, exact up to a bound: canary's critical guardrail
 * asks whether a problem was seen in at least 3 canary sessions and none of the baseline's.
 * Returns 1 when the session is new to the count.
 */
function countSession(
  sql: SqlStorage,
  version: string,
  surface: string,
  sessionId: string,
): number {
  const kept = sql
    .exec<{ n: number }>(
      'SELECT count(*) AS n FROM version_sessions WHERE version = ? AND surface = ?',
      version,
      surface,
    )
    .one().n;
  if (kept >= SESSIONS_PER_VERSION_KEPT) return 0;
  return sql
    .exec(
      'INSERT INTO version_sessions (version, surface, session_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1',
      version,
      surface,
      sessionId,
    )
    .toArray().length;
}

/** Adds the install to the distinct-install count; returns the state's new install fields. */
export function countInstall(
  sql: SqlStorage,
  s: StateRow,
  installHash: string,
): Pick<StateRow, 'hll' | 'installs_exact' | 'approximate'> {
  const hll = new Uint8Array(s.hll);
  hllAdd(hll, installHash);
  let installsExact = s.installs_exact;
  let approximate = s.approximate;
  if (approximate === 0) {
    installsExact += sql
      .exec(
        'INSERT INTO installs (install_hash) VALUES (?) ON CONFLICT DO NOTHING RETURNING install_hash',
        installHash,
      )
      .toArray().length;
    if (installsExact >= EXACT_INSTALLS_BOUND) approximate = 1;
  }
  return { hll: hll.buffer, installs_exact: installsExact, approximate };
}

export function installCount(s: Pick<StateRow, 'approximate' | 'installs_exact' | 'hll'>): number {
  return s.approximate === 1
    ? Math.max(s.installs_exact, hllEstimate(new Uint8Array(s.hll)))
    : s.installs_exact;
}

/**
 * A network prefix as this object keeps it: SHA-256 of the object's random salt and the prefix,
 * truncated. The salt never leaves the object, so the hashes of two problems cannot be joined,
 * and the prefix itself is never stored (issue 11, item 2).
 */
export async function hashNetwork(salt: string, prefix: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`${salt}\n${prefix}`),
  );
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/**
 * Adds a network while the problem is pending; returns the distinct networks seen. Only as many as
 * the gate needs are kept: the count is a threshold, not a statistic.
 */
export function countNetwork(sql: SqlStorage, networkHash: string, needed: number): number {
  const kept = sql.exec<{ n: number }>('SELECT count(*) AS n FROM networks').one().n;
  if (kept >= needed) return kept;
  return (
    kept +
    sql
      .exec(
        'INSERT INTO networks (network_hash) VALUES (?) ON CONFLICT DO NOTHING RETURNING 1',
        networkHash,
      )
      .toArray().length
  );
}

/** Once the problem is announced the networks have served their purpose. */
export function forgetNetworks(sql: SqlStorage): void {
  sql.exec('DELETE FROM networks');
}

export function pruneRecentEvents(sql: SqlStorage, now: number): void {
  sql.exec(
    'DELETE FROM recent_events WHERE at < ? OR event_id IN (SELECT event_id FROM recent_events ORDER BY at DESC LIMIT -1 OFFSET ?)',
    now - RECENT_EVENTS_TTL_MS,
    RECENT_EVENTS_KEPT,
  );
}
