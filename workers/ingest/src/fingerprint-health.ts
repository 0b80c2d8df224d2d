import type { ErrorReport } from './release-health.do.ts';

/**
 * This problem's share of release health: error events per version and window, and the sessions
 * they happened in, handed to the extension's ReleaseHealth object once per flush (not per event:
 * issue 14, item 1). ReleaseHealth decides which sessions are error-affected for the first time
 * across all problems, which installs are new, and the per-install caps.
 *
 * The handoff is an outbox: a report is stored in the same step that drains what it contains, and
 * is resent with the same number until ReleaseHealth has it, which applies each number once.
 */

export function createHealthTables(sql: SqlStorage): void {
  // One row per (version, window, install, session) — '' for events without a session — holding
  // its error events: a counted event writes one row here, not one for the window and one for
  // the session (Durable Object storage bills rows written).
  sql.exec(`
    DROP TABLE IF EXISTS health;
    DROP TABLE IF EXISTS error_windows;
    DROP TABLE IF EXISTS error_sessions;
    CREATE TABLE IF NOT EXISTS error_counts (
      version TEXT NOT NULL, window_start INTEGER NOT NULL, install_hash TEXT NOT NULL,
      session_id TEXT NOT NULL, at INTEGER NOT NULL, events INTEGER NOT NULL,
      PRIMARY KEY (version, window_start, install_hash, session_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS health_reports (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, report TEXT NOT NULL);
  `);
}

/** Counts newly recorded events of one install into the window they were received in. */
export function countErrors(
  sql: SqlStorage,
  at: { version: string; windowStart: number; now: number },
  installHash: string,
  events: readonly { sessionId: string | null }[],
): void {
  const perSession = new Map<string, number>();
  for (const e of events)
    perSession.set(e.sessionId ?? '', (perSession.get(e.sessionId ?? '') ?? 0) + 1);
  for (const [sessionId, n] of perSession) {
    sql.exec(
      `INSERT INTO error_counts (version, window_start, install_hash, session_id, at, events)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (version, window_start, install_hash, session_id) DO UPDATE SET events = events + excluded.events`,
      at.version,
      at.windowStart,
      installHash,
      sessionId,
      at.now,
      n,
    );
  }
}

type ReportBody = Omit<ErrorReport, 'seq' | 'source'>;

/**
 * The report to send: the one stored and not yet acknowledged, or else a new one drained from the
 * counts (call inside a storage transaction). Null when there is nothing to report.
 */
export function takeReport(
  sql: SqlStorage,
  source: string,
  header: { extensionId: string; flushIntervalMs: number; now: number },
): ErrorReport | null {
  const stored = sql
    .exec<{ seq: number; report: string }>(
      'SELECT seq, report FROM health_reports ORDER BY seq LIMIT 1',
    )
    .toArray()[0];
  if (stored !== undefined) {
    return { ...(JSON.parse(stored.report) as ReportBody), source, seq: stored.seq };
  }
  const windows = sql
    .exec<{ version: string; window_start: number; error_events: number }>(
      `SELECT version, window_start, sum(events) AS error_events FROM error_counts
       GROUP BY version, window_start ORDER BY window_start, version`,
    )
    .toArray();
  if (windows.length === 0) return null;
  const sessions = sql
    .exec<{
      version: string;
      window_start: number;
      install_hash: string;
      session_id: string;
      at: number;
    }>(
      "SELECT version, window_start, install_hash, session_id, at FROM error_counts WHERE session_id != '' ORDER BY at",
    )
    .toArray();
  const body: ReportBody = {
    ...header,
    windows: windows.map((w) => ({
      version: w.version,
      windowStart: w.window_start,
      errorEvents: w.error_events,
      sessions: sessions
        .filter((x) => x.version === w.version && x.window_start === w.window_start)
        .map((x) => ({ installHash: x.install_hash, sessionId: x.session_id, at: x.at })),
    })),
  };
  sql.exec('DELETE FROM error_counts');
  const seq = sql
    .exec<{ seq: number }>(
      'INSERT INTO health_reports (report) VALUES (?) RETURNING seq',
      JSON.stringify(body),
    )
    .one().seq;
  return { ...body, source, seq };
}

export function reportDelivered(sql: SqlStorage, seq: number): void {
  sql.exec('DELETE FROM health_reports WHERE seq = ?', seq);
}

export function healthPending(sql: SqlStorage): boolean {
  return (
    sql.exec('SELECT 1 FROM error_counts UNION ALL SELECT 1 FROM health_reports LIMIT 1').toArray()
      .length > 0
  );
}
