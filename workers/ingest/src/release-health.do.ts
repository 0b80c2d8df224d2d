import { DurableObject } from 'cloudflare:workers';
import { RELEASE_HEALTH_LIMITS, releaseHealthTable, upsertRow } from '@homeostat/shared';
import { FlushOutbox, type FlushStatement } from './d1-flush.ts';
import { windowStart } from './release-window.ts';

/**
 * ReleaseHealth Durable Object: the canary judge's counts per version and 5-minute window.
 * Invariants:
 * - One instance per configured extension (`release-health:<extension id>`). It is called once per
 *   `/v1/sessions` request and once per Fingerprint flush, never per event: session starts arrive
 *   far less often than events, and errors come batched by the Fingerprint objects.
 * - It alone decides what counts (issue 14 item 1 moved this here from a per-install object that
 *   cost a call per event): a session is counted once, its first error once whichever problems it
 *   hit, an install is "new" in its first day, and one install counts at most
 *   RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow sessions and as many error sessions per
 *   version and window (issue 11 item 2: clients report these numbers, so one must not carry a
 *   canary decision). `installs` / `error_installs` count the distinct installs per window.
 * - Error reports carry their Fingerprint object's (source, seq) and are applied once, so a report
 *   resent after a lost answer does not count twice.
 * - It flushes increments to D1 exactly once (d1-flush.ts, with markers).
 * - Install ids arrive hashed (install-hash.ts); nothing here identifies a person.
 */

/** An install counts as new for its first day: its sessions are new-install sessions. */
const NEW_INSTALL_MS = 24 * 3_600_000;
/** Session ids are remembered this long: a session reported later than this counts again. */
const SESSION_MEMORY_MS = 2 * 24 * 3_600_000;
/** Per-install counts of a window are kept this long: error reports may arrive late. */
const WINDOW_MEMORY_MS = 24 * 3_600_000;
/** An install unseen this long is forgotten (and would be "new" again, as before). */
const INSTALL_MEMORY_MS = 30 * 24 * 3_600_000;
/** Applied report numbers are kept this long; no Fingerprint object retries for longer. */
const SOURCE_MEMORY_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
/** An install's `last_seen` is kept to this precision (see `touchInstall`). */
const LAST_SEEN_GRANULARITY_MS = 3_600_000;
const RETRY_FLUSH_MS = 30_000;
const MAX_PER_WINDOW = RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow;

export interface SessionStarts {
  extensionId: string;
  version: string;
  installHash: string;
  /** Session ids of the request that the install's burst limit admitted. */
  sessionIds: readonly string[];
  flushIntervalMs: number;
  now: number;
}

/** What one Fingerprint object's flush adds to release health. */
export interface ErrorReport {
  /** The reporting object and its report number: a resent report is applied once. */
  source: string;
  seq: number;
  extensionId: string;
  flushIntervalMs: number;
  now: number;
  windows: {
    version: string;
    windowStart: number;
    errorEvents: number;
    /** The sessions that had an error of this problem in the window, each once. */
    sessions: { installHash: string; sessionId: string; at: number }[];
  }[];
}

type CountColumn =
  | 'sessions'
  | 'new_install_sessions'
  | 'error_sessions'
  | 'new_install_error_sessions'
  | 'error_events'
  | 'installs'
  | 'error_installs';
const COUNT_COLUMNS: readonly CountColumn[] = [
  'sessions',
  'new_install_sessions',
  'error_sessions',
  'new_install_error_sessions',
  'error_events',
  'installs',
  'error_installs',
];

export class ReleaseHealthDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: FlushOutbox;
  /** Whether a flush alarm is pending; read from storage once per activation, then tracked. */
  private flushScheduled: boolean | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new FlushOutbox(this.sql, `release-health:${ctx.id.toString()}`);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        DROP TABLE IF EXISTS counts;
        CREATE TABLE IF NOT EXISTS window_counts (
          extension_id TEXT NOT NULL, version TEXT NOT NULL, window_start INTEGER NOT NULL,
          ${COUNT_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ')},
          PRIMARY KEY (extension_id, version, window_start)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS installs (
          install_hash TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL)
          WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS sessions (
          install_hash TEXT NOT NULL, session_id TEXT NOT NULL, seen_at INTEGER NOT NULL,
          started INTEGER NOT NULL DEFAULT 0, errored INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (install_hash, session_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS window_installs (
          version TEXT NOT NULL, window_start INTEGER NOT NULL, install_hash TEXT NOT NULL,
          sessions INTEGER NOT NULL DEFAULT 0, error_sessions INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (version, window_start, install_hash)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS sources (
          source TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS health_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      `);
    });
  }

  /** Session starts of one install: returns how many were not seen before. */
  async recordSessions(input: SessionStarts): Promise<{ accepted: number }> {
    const { now } = input;
    const window = windowStart(now);
    const accepted = this.ctx.storage.transactionSync(() => {
      const firstSeen = this.touchInstall(input.installHash, now);
      let fresh = 0;
      for (const id of new Set(input.sessionIds)) {
        const marked = this.sql
          .exec(
            `INSERT INTO sessions (install_hash, session_id, seen_at, started) VALUES (?, ?, ?, 1)
             ON CONFLICT (install_hash, session_id) DO UPDATE SET started = 1 WHERE started = 0
             RETURNING 1`,
            input.installHash,
            id,
            now,
          )
          .toArray().length;
        fresh += marked;
      }
      const { counted, firstInWindow } = this.capped(
        input.version,
        window,
        input.installHash,
        'sessions',
        fresh,
      );
      this.add(input.extensionId, input.version, window, {
        sessions: counted,
        new_install_sessions: now - firstSeen < NEW_INSTALL_MS ? counted : 0,
        installs: firstInWindow ? 1 : 0,
      });
      return fresh;
    });
    await this.scheduleFlush(now + input.flushIntervalMs);
    return { accepted };
  }

  /** One Fingerprint object's errors since its last report; a resent report is ignored. */
  async recordErrors(report: ErrorReport): Promise<void> {
    const applied = this.ctx.storage.transactionSync(() => {
      const last = this.sql
        .exec<{ seq: number }>('SELECT seq FROM sources WHERE source = ?', report.source)
        .toArray()[0]?.seq;
      if (last !== undefined && last >= report.seq) return false;
      // One install's first-seen time once per report, however many of its sessions it carries.
      const firstSeen = new Map<string, number>();
      for (const w of report.windows) {
        for (const x of w.sessions) {
          firstSeen.set(x.installHash, Math.min(firstSeen.get(x.installHash) ?? x.at, x.at));
        }
      }
      for (const [installHash, at] of firstSeen) {
        firstSeen.set(installHash, this.touchInstall(installHash, at));
      }
      for (const w of report.windows) {
        let errorSessions = 0;
        let newInstallErrorSessions = 0;
        let errorInstalls = 0;
        for (const s of w.sessions) {
          const installFirstSeen = firstSeen.get(s.installHash) ?? s.at;
          const first =
            this.sql
              .exec(
                `INSERT INTO sessions (install_hash, session_id, seen_at, errored) VALUES (?, ?, ?, 1)
                 ON CONFLICT (install_hash, session_id) DO UPDATE SET errored = 1 WHERE errored = 0
                 RETURNING 1`,
                s.installHash,
                s.sessionId,
                s.at,
              )
              .toArray().length > 0;
          if (!first) continue;
          const cap = this.capped(w.version, w.windowStart, s.installHash, 'error_sessions', 1);
          errorSessions += cap.counted;
          if (s.at - installFirstSeen < NEW_INSTALL_MS) newInstallErrorSessions += cap.counted;
          if (cap.firstInWindow) errorInstalls++;
        }
        this.add(report.extensionId, w.version, w.windowStart, {
          error_events: w.errorEvents,
          error_sessions: errorSessions,
          new_install_error_sessions: newInstallErrorSessions,
          error_installs: errorInstalls,
        });
      }
      this.sql.exec(
        `INSERT INTO sources (source, seq, at) VALUES (?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, at = excluded.at`,
        report.source,
        report.seq,
        report.now,
      );
      return true;
    });
    if (applied) await this.scheduleFlush(report.now + report.flushIntervalMs);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.flushScheduled = false;
    let pending = this.outbox.pending();
    if (pending === null) {
      // Draining and storing the batch is one step: a crash leaves either both or neither.
      pending = this.ctx.storage.transactionSync(() => {
        const statements = this.drain();
        return statements.length > 0 ? { seq: this.outbox.store(statements), statements } : null;
      });
    }
    if (
      pending !== null &&
      (await this.outbox.send(this.env.DB, pending.seq, pending.statements, now)) === 'failed'
    ) {
      await this.ctx.storage.setAlarm(now + RETRY_FLUSH_MS);
      this.flushScheduled = true;
    }
    this.prune(now);
  }

  private drain(): FlushStatement[] {
    const rows = this.sql
      .exec<
        Record<'extension_id' | 'version', string> & Record<'window_start' | CountColumn, number>
      >('SELECT * FROM window_counts')
      .toArray();
    this.sql.exec('DELETE FROM window_counts');
    // Increments, built from the read model (packages/shared/src/read-model, issue 14 item 4).
    const add = Object.fromEntries(COUNT_COLUMNS.map((c) => [c, 'add' as const]));
    return rows.map((r) => upsertRow(releaseHealthTable, r, add));
  }

  /**
   * Records that the install was seen at `at`; returns when it was first seen. `last_seen` only
   * decides when an idle install is forgotten, so it is rewritten at most hourly: every rewrite is
   * a billed row.
   */
  private touchInstall(installHash: string, at: number): number {
    const changed = this.sql
      .exec<{ first_seen: number }>(
        `INSERT INTO installs (install_hash, first_seen, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (install_hash) DO UPDATE SET
           first_seen = min(first_seen, excluded.first_seen),
           last_seen = max(last_seen, excluded.last_seen)
         WHERE excluded.first_seen < first_seen OR excluded.last_seen > last_seen + ?
         RETURNING first_seen`,
        installHash,
        at,
        at,
        LAST_SEEN_GRANULARITY_MS,
      )
      .toArray()[0];
    return (
      changed?.first_seen ??
      this.sql
        .exec<{ first_seen: number }>(
          'SELECT first_seen FROM installs WHERE install_hash = ?',
          installHash,
        )
        .one().first_seen
    );
  }

  /** Counts up to `want` more for the install in the window, within the per-install cap. */
  private capped(
    version: string,
    window: number,
    installHash: string,
    column: 'sessions' | 'error_sessions',
    want: number,
  ): { counted: number; firstInWindow: boolean } {
    if (want <= 0) return { counted: 0, firstInWindow: false };
    const before =
      this.sql
        .exec<Record<typeof column, number>>(
          `SELECT ${column} FROM window_installs WHERE version = ? AND window_start = ? AND install_hash = ?`,
          version,
          window,
          installHash,
        )
        .toArray()[0]?.[column] ?? 0;
    const counted = Math.max(0, Math.min(want, MAX_PER_WINDOW - before));
    if (counted > 0) {
      this.sql.exec(
        `INSERT INTO window_installs (version, window_start, install_hash, ${column}) VALUES (?, ?, ?, ?)
         ON CONFLICT (version, window_start, install_hash) DO UPDATE SET ${column} = ${column} + excluded.${column}`,
        version,
        window,
        installHash,
        counted,
      );
    }
    return { counted, firstInWindow: before === 0 && counted > 0 };
  }

  private add(
    extensionId: string,
    version: string,
    window: number,
    counts: Partial<Record<CountColumn, number>>,
  ): void {
    const columns = COUNT_COLUMNS.filter((c) => (counts[c] ?? 0) > 0);
    if (columns.length === 0) return;
    this.sql.exec(
      `INSERT INTO window_counts (extension_id, version, window_start, ${columns.join(', ')})
       VALUES (?, ?, ?, ${columns.map(() => '?').join(', ')})
       ON CONFLICT (extension_id, version, window_start) DO UPDATE SET
         ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      extensionId,
      version,
      window,
      ...columns.map((c) => counts[c] ?? 0),
    );
  }

  private async scheduleFlush(at: number): Promise<void> {
    this.flushScheduled ??= (await this.ctx.storage.getAlarm()) !== null;
    if (!this.flushScheduled) {
      await this.ctx.storage.setAlarm(at);
      this.flushScheduled = true;
    }
  }

  /** Forgets what no longer matters, at most once an hour (it scans the tables). */
  private prune(now: number): void {
    const last =
      this.sql
        .exec<{ value: number }>("SELECT value FROM health_meta WHERE key = 'pruned_at'")
        .toArray()[0]?.value ?? 0;
    if (now - last < PRUNE_EVERY_MS) return;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM sessions WHERE seen_at < ?', now - SESSION_MEMORY_MS);
      this.sql.exec('DELETE FROM window_installs WHERE window_start < ?', now - WINDOW_MEMORY_MS);
      this.sql.exec('DELETE FROM installs WHERE last_seen < ?', now - INSTALL_MEMORY_MS);
      this.sql.exec('DELETE FROM sources WHERE at < ?', now - SOURCE_MEMORY_MS);
      this.sql.exec(
        "INSERT INTO health_meta (key, value) VALUES ('pruned_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        now,
      );
    });
  }
}
