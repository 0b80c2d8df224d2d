import { compareVersions } from '@homeostat/shared';
import { type FingerprintState, mustReadState, type StateRow } from './fingerprint-state.ts';

/**
 * The transition state machine of one problem:
 *
 *   pending ──(enough installs and networks)──▶ open ──(resolved)──▶ fixed
 *                                                ▲                     │
 *                                                └── threshold         └─(a version above the
 *                                                                        fix)──▶ regressed
 *
 * A transition is recorded in the same synchronous step as the state change that causes it
 * (`transitions`), and leaves through the projection (D1) and the queue outbox.
 */

/** Event counts that announce a `threshold` transition while the problem is open. */
const THRESHOLDS = [100, 1_000, 10_000, 100_000, 1_000_000];

export type TransitionKind = 'new' | 'regression' | 'threshold';

export interface Transition {
  next: FingerprintState;
  kind: TransitionKind;
}

export interface Resolution {
  resolvedAt: number;
  /** Null: "in the next release", the highest version seen up to the resolution. */
  fixedInVersion: string | null;
}

export function thresholdLevel(events: number): number {
  return THRESHOLDS.filter((t) => events >= t).length;
}

export function createTransitionTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS transitions (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, version TEXT NOT NULL,
      at INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0, flushed INTEGER NOT NULL DEFAULT 0);
  `);
}

/** The transition counting `version`'s events leads to, if any (a pure decision). */
export function nextTransition(
  s: StateRow,
  seen: {
    version: string;
    installs: number;
    networks: number;
    minInstalls: number;
    minNetworks: number;
  },
): Transition | null {
  if (s.state === 'pending') {
    // Install ids are the client's to choose; network prefixes are not (issue 11, item 2).
    return seen.installs >= seen.minInstalls && seen.networks >= seen.minNetworks
      ? { next: 'open', kind: 'new' }
      : null;
  }
  if (
    s.state === 'fixed' &&
    s.fixed_in_version !== null &&
    compareVersions(seen.version, s.fixed_in_version) > 0
  ) {
    // Only a version above the fix regresses: stale installs of older versions keep reporting
    // the old bug and must not reopen it (research/error-tracking.md §5, GlitchTip's mistake).
    return { next: 'regressed', kind: 'regression' };
  }
  if (
    (s.state === 'open' || s.state === 'regressed') &&
    thresholdLevel(s.events) > s.threshold_level
  ) {
    return { next: s.state, kind: 'threshold' };
  }
  return null;
}

export function recordTransition(
  sql: SqlStorage,
  t: Transition,
  version: string,
  now: number,
  events: number,
): void {
  // A problem announced afresh counts its thresholds afresh; a threshold moves the level.
  sql.exec(
    'UPDATE state SET state = ?, threshold_level = ?, dirty = 1 WHERE id = 1',
    t.next,
    thresholdLevel(events),
  );
  sql.exec('INSERT INTO transitions (kind, version, at) VALUES (?, ?, ?)', t.kind, version, now);
}

/**
 * Applies a resolution decided by triage (on GitHub) to an open or regressed problem; returns
 * whether the state changed. Regression detection stays here, where every event passes: if a
 * version above the fix was already seen after the resolution, the problem regresses at once.
 */
export function applyResolution(sql: SqlStorage, s: StateRow, r: Resolution, now: number): boolean {
  if (s.state !== 'open' && s.state !== 'regressed') return false;
  if (r.resolvedAt <= s.resolved_at) return false;
  const fixedIn =
    r.fixedInVersion ??
    sql
      .exec<{ version: string }>(
        'SELECT DISTINCT version FROM versions WHERE first_seen <= ?',
        r.resolvedAt,
      )
      .toArray()
      .map((v) => v.version)
      .reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), s.first_version);
  sql.exec(
    "UPDATE state SET state = 'fixed', fixed_in_version = ?, resolved_at = ?, dirty = 1 WHERE id = 1",
    fixedIn,
    r.resolvedAt,
  );
  const newer = sql
    .exec<{ version: string }>(
      'SELECT DISTINCT version FROM versions WHERE last_seen > ?',
      r.resolvedAt,
    )
    .toArray()
    .map((v) => v.version)
    .filter((v) => compareVersions(v, fixedIn) > 0)
    .sort(compareVersions)
    .at(-1);
  if (newer !== undefined) {
    recordTransition(
      sql,
      { next: 'regressed', kind: 'regression' },
      newer,
      now,
      mustReadState(sql).events,
    );
  }
  return true;
}

export function unsentTransitions(sql: SqlStorage): number {
  return sql.exec<{ n: number }>('SELECT count(*) AS n FROM transitions WHERE sent = 0').one().n;
}
