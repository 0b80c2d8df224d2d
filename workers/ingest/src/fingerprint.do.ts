import { DurableObject } from 'cloudflare:workers';
import {
  compareVersions,
  fingerprintsTable,
  fingerprintTransitionsTable,
  fingerprintVersionsTable,
  releaseHealthTable,
  type Surface,
  samplesTable,
  type TransitionKind,
  type TriageQueueMessage,
  upsertRow,
} from '@homeostat/shared';
import { FlushOutbox, type FlushStatement } from './d1-flush.ts';
import { HLL_REGISTERS, hllAdd, hllEstimate } from './hyperloglog.ts';
import { windowStart } from './release-window.ts';

/**
 * Fingerprint Durable Object. Invariants:
 * - One instance per (configured extension id, fingerprint), named `<extension id>:<fingerprint>`;
 *   neither part identifies a person. Every event of one problem passes through one instance, so
 *   its decisions (new, regression, threshold) are made once, in order, without races.
 * - It receives scrubbed events only; everything it stores or sends is scrubbed.
 * - Counting happens in its own SQLite storage; D1 is written from the alarm in one batch per
 *   flush (d1-flush.ts), never per event.
 * - A transition is recorded in the same synchronous step as the state change that causes it, and
 *   is sent to the triage queue from the alarm once the flush carrying it has reached D1 (triage
 *   reads the fingerprint from D1). An unsent one is resent by the next alarm; triage is
 *   idempotent, so a resend after a crash between send and bookkeeping is harmless.
 */

/** Distinct installs are counted exactly up to this bound, then by HyperLogLog. */
const EXACT_INSTALLS_BOUND = 1_000;
/** Scrubbed samples kept per fingerprint. */
export const SAMPLES_KEPT = 5;
/** Event ids remembered to recognise a resubmitted event. */
const RECENT_EVENTS_KEPT = 10_000;
const RECENT_EVENTS_TTL_MS = 7 * 24 * 3_600_000;
/** Distinct sessions are counted exactly per version and surface up to this bound. */
const SESSIONS_PER_VERSION_KEPT = 100;
/** Event counts that announce a `threshold` transition while the problem is open. */
const THRESHOLDS = [100, 1_000, 10_000, 100_000, 1_000_000];
const RETRY_FLUSH_MS = 30_000;

function thresholdLevel(events: number): number {
  return THRESHOLDS.filter((t) => events >= t).length;
}

export type FingerprintState = 'pending' | 'open' | 'fixed' | 'regressed';
export type RecordStatus = 'new' | 'known' | 'duplicate';

export interface RecordInput {
  extensionId: string;
  fingerprint: string;
  errorType: string;
  title: string;
  culprit: string | null;
  installHash: string;
  /** The install is in its first day: canary judgement leaves its sessions out. */
  newInstall: boolean;
  version: string;
  minInstalls: number;
  flushIntervalMs: number;
  now: number;
  events: {
    eventId: string;
    surface: Surface;
    occurredAt: number;
    /** The first error of its session (decided by the install's RateLimiter). */
    firstErrorInSession: boolean;
    sessionId: string | null;
    /** The scrubbed event as JSON. */
    event: string;
  }[];
}

type StateRow = {
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
};

export class FingerprintDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: FlushOutbox;
  /** Whether a flush alarm is pending; read from storage once per activation, then tracked. */
  private flushScheduled: boolean | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new FlushOutbox(this.sql, `fingerprint:${ctx.id.toString()}`);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        CREATE TABLE IF NOT EXISTS state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          extension_id TEXT NOT NULL, fingerprint TEXT NOT NULL, error_type TEXT NOT NULL,
          title TEXT NOT NULL, culprit TEXT, events INTEGER NOT NULL,
          first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
          first_version TEXT NOT NULL, last_version TEXT NOT NULL,
          state TEXT NOT NULL, fixed_in_version TEXT, resolved_at INTEGER NOT NULL DEFAULT 0,
          threshold_level INTEGER NOT NULL DEFAULT 0,
          installs_exact INTEGER NOT NULL DEFAULT 0, approximate INTEGER NOT NULL DEFAULT 0,
          hll BLOB NOT NULL, dirty INTEGER NOT NULL DEFAULT 0, flush_interval_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS installs (install_hash TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS versions (
          version TEXT NOT NULL, surface TEXT NOT NULL, events INTEGER NOT NULL,
          first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, dirty INTEGER NOT NULL,
          sessions INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (version, surface));
        CREATE TABLE IF NOT EXISTS version_sessions (
          version TEXT NOT NULL, surface TEXT NOT NULL, session_id TEXT NOT NULL,
          PRIMARY KEY (version, surface, session_id));
        CREATE TABLE IF NOT EXISTS recent_events (event_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS samples (
          event_id TEXT PRIMARY KEY, version TEXT NOT NULL, surface TEXT NOT NULL,
          occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, event TEXT NOT NULL,
          flushed INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS health (
          version TEXT NOT NULL, window_start INTEGER NOT NULL,
          error_events INTEGER NOT NULL, error_sessions INTEGER NOT NULL,
          new_install_error_sessions INTEGER NOT NULL,
          PRIMARY KEY (version, window_start));
        CREATE TABLE IF NOT EXISTS transitions (
          seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, version TEXT NOT NULL,
          at INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0, flushed INTEGER NOT NULL DEFAULT 0);
      `);
    });
  }

  /** Counts a group of events of this fingerprint from one install and decides transitions. */
  async record(input: RecordInput): Promise<RecordStatus[]> {
    const statuses = this.ctx.storage.transactionSync(() => this.apply(input));
    this.flushScheduled ??= (await this.ctx.storage.getAlarm()) !== null;
    if (!this.flushScheduled) {
      await this.ctx.storage.setAlarm(input.now + input.flushIntervalMs);
      this.flushScheduled = true;
    }
    return statuses;
  }

  /** Current state, for tests and diagnostics. */
  async inspect(): Promise<{
    state: FingerprintState | null;
    events: number;
    installs: number;
    approximate: boolean;
    fixedInVersion: string | null;
  }> {
    const s = this.readState();
    if (s === null)
      return { state: null, events: 0, installs: 0, approximate: false, fixedInVersion: null };
    return {
      state: s.state,
      events: s.events,
      installs: this.installCount(s),
      approximate: s.approximate === 1,
      fixedInVersion: s.fixed_in_version,
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.flushScheduled = false;
    const state = this.readState();
    if (state === null) return;

    let pending = this.outbox.pending();
    if (pending === null) {
      await this.applyResolution(state, now);
      // Draining and storing the batch is one step: a crash leaves either both or neither.
      pending = this.ctx.storage.transactionSync(() => {
        const statements = this.drainToStatements(now);
        return statements.length > 0 ? { seq: this.outbox.store(statements), statements } : null;
      });
    }
    let failed = false;
    if (pending !== null) {
      failed =
        (await this.outbox.send(this.env.DB, pending.seq, pending.statements, now)) === 'failed';
    }
    // Transitions go out only once the flush that records them is in D1, so triage never
    // receives a message about a fingerprint it cannot read yet.
    if (!failed) await this.sendTransitions();
    this.sql.exec(
      'DELETE FROM recent_events WHERE at < ? OR event_id IN (SELECT event_id FROM recent_events ORDER BY at DESC LIMIT -1 OFFSET ?)',
      now - RECENT_EVENTS_TTL_MS,
      RECENT_EVENTS_KEPT,
    );
    const unsent = this.sql
      .exec<{ n: number }>('SELECT count(*) AS n FROM transitions WHERE sent = 0')
      .one().n;
    const dirty = this.readState()?.dirty === 1;
    if (failed || unsent > 0 || dirty) {
      await this.ctx.storage.setAlarm(
        now + (failed || unsent > 0 ? RETRY_FLUSH_MS : state.flush_interval_ms),
      );
      this.flushScheduled = true;
    }
  }

  private apply(input: RecordInput): RecordStatus[] {
    const { now } = input;
    let s = this.readState();
    if (s === null) {
      const hll = new Uint8Array(HLL_REGISTERS);
      this.sql.exec(
        `INSERT INTO state (id, extension_id, fingerprint, error_type, title, culprit, events, first_seen,
           last_seen, first_version, last_version, state, hll, flush_interval_ms)
         VALUES (1, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 'pending', ?, ?)`,
        input.extensionId,
        input.fingerprint,
        input.errorType,
        input.title,
        input.culprit,
        now,
        now,
        input.version,
        input.version,
        hll,
        input.flushIntervalMs,
      );
      s = this.mustReadState();
    }
    const before = s.events;
    const statuses: RecordStatus[] = [];
    let counted = 0;
    let errorSessions = 0;
    for (const e of input.events) {
      const seen =
        this.sql.exec('SELECT 1 FROM recent_events WHERE event_id = ?', e.eventId).toArray()
          .length > 0;
      if (seen) {
        statuses.push('duplicate');
        continue;
      }
      this.sql.exec('INSERT INTO recent_events (event_id, at) VALUES (?, ?)', e.eventId, now);
      statuses.push(before + counted === 0 ? 'new' : 'known');
      counted++;
      if (e.firstErrorInSession) errorSessions++;
      this.sql.exec(
        `INSERT INTO versions (version, surface, events, first_seen, last_seen, dirty) VALUES (?, ?, 1, ?, ?, 1)
         ON CONFLICT (version, surface) DO UPDATE SET events = events + 1, last_seen = excluded.last_seen, dirty = 1`,
        input.version,
        e.surface,
        now,
        now,
      );
      if (e.sessionId !== null) this.countSession(input.version, e.surface, e.sessionId);
      this.sql.exec(
        `INSERT INTO samples (event_id, version, surface, occurred_at, received_at, event) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING`,
        e.eventId,
        input.version,
        e.surface,
        e.occurredAt,
        now,
        e.event,
      );
    }
    if (counted === 0) return statuses;

    this.sql.exec(
      `DELETE FROM samples WHERE event_id NOT IN (SELECT event_id FROM samples ORDER BY received_at DESC, rowid DESC LIMIT ?)`,
      SAMPLES_KEPT,
    );
    this.sql.exec(
      `INSERT INTO health (version, window_start, error_events, error_sessions, new_install_error_sessions)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (version, window_start) DO UPDATE SET
         error_events = error_events + excluded.error_events,
         error_sessions = error_sessions + excluded.error_sessions,
         new_install_error_sessions = new_install_error_sessions + excluded.new_install_error_sessions`,
      input.version,
      windowStart(now),
      counted,
      errorSessions,
      input.newInstall ? errorSessions : 0,
    );

    const hll = new Uint8Array(s.hll);
    hllAdd(hll, input.installHash);
    let installsExact = s.installs_exact;
    let approximate = s.approximate;
    if (approximate === 0) {
      const inserted = this.sql
        .exec(
          'INSERT INTO installs (install_hash) VALUES (?) ON CONFLICT DO NOTHING RETURNING install_hash',
          input.installHash,
        )
        .toArray().length;
      installsExact += inserted;
      if (installsExact >= EXACT_INSTALLS_BOUND) approximate = 1;
    }
    const events = s.events + counted;
    const lastVersion =
      compareVersions(input.version, s.last_version) > 0 ? input.version : s.last_version;
    this.sql.exec(
      `UPDATE state SET events = ?, last_seen = ?, last_version = ?, hll = ?, installs_exact = ?, approximate = ?,
         dirty = 1, flush_interval_ms = ? WHERE id = 1`,
      events,
      now,
      lastVersion,
      hll,
      installsExact,
      approximate,
      input.flushIntervalMs,
    );
    // The row as just written, without reading it (and its HyperLogLog blob) back.
    s = {
      ...s,
      events,
      last_seen: now,
      last_version: lastVersion,
      installs_exact: installsExact,
      approximate,
    };

    if (s.state === 'pending' && this.installCount(s) >= input.minInstalls) {
      this.transition('open', 'new', input.version, now, events);
    } else if (
      s.state === 'fixed' &&
      s.fixed_in_version !== null &&
      compareVersions(input.version, s.fixed_in_version) > 0
    ) {
      // Only a version above the fix regresses: stale installs of older versions keep reporting
      // the old bug and must not reopen it (research/error-tracking.md §5, GlitchTip's mistake).
      this.transition('regressed', 'regression', input.version, now, events);
    } else if (s.state === 'open' || s.state === 'regressed') {
      const level = thresholdLevel(events);
      if (level > s.threshold_level) {
        this.sql.exec('UPDATE state SET threshold_level = ? WHERE id = 1', level);
        this.transition(s.state, 'threshold', input.version, now, events);
      }
    }
    return statuses;
  }

  private transition(
    next: FingerprintState,
    kind: 'new' | 'regression' | 'threshold',
    version: string,
    now: number,
    events: number,
  ): void {
    this.sql.exec('UPDATE state SET state = ?, dirty = 1 WHERE id = 1', next);
    if (kind !== 'threshold') {
      // A problem announced afresh counts its thresholds afresh.
      this.sql.exec('UPDATE state SET threshold_level = ? WHERE id = 1', thresholdLevel(events));
    }
    this.sql.exec(
      'INSERT INTO transitions (kind, version, at) VALUES (?, ?, ?)',
      kind,
      version,
      now,
    );
  }

  private async sendTransitions(): Promise<void> {
    const s = this.readState();
    if (s === null) return;
    const rows = this.sql
      .exec<{ seq: number; kind: TriageQueueMessage['reason']; at: number }>(
        'SELECT seq, kind, at FROM transitions WHERE sent = 0 ORDER BY seq',
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
        await this.env.TRIAGE_QUEUE.send(message);
      } catch {
        return; // the alarm retries; order is kept
      }
      this.sql.exec('UPDATE transitions SET sent = 1 WHERE seq = ?', row.seq);
    }
  }

  /**
   * Learns from D1 whether triage resolved this problem. Regression detection stays here, where
   * every event passes, but resolution is decided on GitHub; D1 is the store both Workers share.
   */
  private async applyResolution(s: StateRow, now: number): Promise<void> {
    if (s.state !== 'open' && s.state !== 'regressed') return;
    const row = await this.env.DB.prepare(
      'SELECT resolved_at, fixed_in_version FROM fingerprint_resolutions WHERE extension_id = ? AND fingerprint = ?',
    )
      .bind(s.extension_id, s.fingerprint)
      .first<{ resolved_at: number; fixed_in_version: string | null }>();
    if (row === null || row.resolved_at <= s.resolved_at) return;
    // Without an explicit version, "resolved in the next release": the highest version seen up
    // to the resolution (Sentry's in_next_release).
    const seenBefore = this.sql
      .exec<{ version: string }>(
        'SELECT DISTINCT version FROM versions WHERE first_seen <= ?',
        row.resolved_at,
      )
      .toArray()
      .map((v) => v.version);
    const fixedIn =
      row.fixed_in_version ??
      seenBefore.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), s.first_version);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE state SET state = 'fixed', fixed_in_version = ?, resolved_at = ?, dirty = 1 WHERE id = 1",
        fixedIn,
        row.resolved_at,
      );
      const newer = this.sql
        .exec<{ version: string }>(
          'SELECT DISTINCT version FROM versions WHERE last_seen > ?',
          row.resolved_at,
        )
        .toArray()
        .map((v) => v.version)
        .filter((v) => compareVersions(v, fixedIn) > 0)
        .sort(compareVersions);
      const highest = newer.at(-1);
      if (highest !== undefined) {
        // Read afresh: events may have arrived while D1 was being asked.
        this.transition('regressed', 'regression', highest, now, this.mustReadState().events);
      }
    });
  }

  /** Everything changed since the last flush as D1 statements; clears the change marks. */
  private drainToStatements(now: number): FlushStatement[] {
    const s = this.readState();
    if (s === null || s.dirty === 0) return [];
    const ext = s.extension_id;
    const fp = s.fingerprint;
    // Statements built from the read model's tables (packages/shared/src/read-model), the schemas
    // triage and canary-monitor parse these rows with (issue 14 item 4).
    const statements: FlushStatement[] = [
      upsertRow(
        fingerprintsTable,
        {
          extension_id: ext,
          fingerprint: fp,
          error_type: s.error_type,
          title: s.title,
          culprit: s.culprit,
          events: s.events,
          installs: this.installCount(s),
          installs_approximate: s.approximate === 1 ? 1 : 0,
          first_seen: s.first_seen,
          last_seen: s.last_seen,
          first_version: s.first_version,
          last_version: s.last_version,
          state: s.state,
          fixed_in_version: s.fixed_in_version,
          flushed_at: now,
        },
        {
          events: 'set',
          installs: 'set',
          installs_approximate: 'set',
          last_seen: 'set',
          last_version: 'set',
          state: 'set',
          fixed_in_version: 'set',
          flushed_at: 'set',
        },
      ),
    ];
    for (const v of this.sql
      .exec<{
        version: string;
        surface: string;
        events: number;
        first_seen: number;
        last_seen: number;
        sessions: number;
      }>(
        'SELECT version, surface, events, first_seen, last_seen, sessions FROM versions WHERE dirty = 1',
      )
      .toArray()) {
      statements.push(
        upsertRow(
          fingerprintVersionsTable,
          { extension_id: ext, fingerprint: fp, ...v },
          { events: 'set', sessions: 'set', last_seen: 'set' },
        ),
      );
    }
    const samples = this.sql
      .exec<{
        event_id: string;
        version: string;
        surface: string;
        occurred_at: number;
        received_at: number;
        event: string;
      }>(
        'SELECT event_id, version, surface, occurred_at, received_at, event FROM samples WHERE flushed = 0',
      )
      .toArray();
    for (const x of samples) {
      statements.push(
        upsertRow(samplesTable, { extension_id: ext, fingerprint: fp, ...x }, 'ignore'),
      );
    }
    if (samples.length > 0) {
      statements.push({
        sql: `DELETE FROM samples WHERE extension_id = ? AND fingerprint = ? AND event_id NOT IN (
                SELECT event_id FROM samples WHERE extension_id = ? AND fingerprint = ?
                ORDER BY received_at DESC, event_id DESC LIMIT ?)`,
        params: [ext, fp, ext, fp, SAMPLES_KEPT],
      });
    }
    for (const h of this.sql
      .exec<{
        version: string;
        window_start: number;
        error_events: number;
        error_sessions: number;
        new_install_error_sessions: number;
      }>(
        'SELECT version, window_start, error_events, error_sessions, new_install_error_sessions FROM health',
      )
      .toArray()) {
      statements.push(
        upsertRow(
          releaseHealthTable,
          { extension_id: ext, ...h },
          { error_events: 'add', error_sessions: 'add', new_install_error_sessions: 'add' },
        ),
      );
    }
    for (const t of this.sql
      .exec<{ kind: TransitionKind; version: string; at: number }>(
        'SELECT kind, version, at FROM transitions WHERE flushed = 0',
      )
      .toArray()) {
      statements.push(
        upsertRow(
          fingerprintTransitionsTable,
          { extension_id: ext, fingerprint: fp, ...t },
          'ignore',
        ),
      );
    }
    this.sql.exec('UPDATE state SET dirty = 0 WHERE id = 1');
    this.sql.exec('UPDATE versions SET dirty = 0 WHERE dirty = 1');
    this.sql.exec('UPDATE samples SET flushed = 1 WHERE flushed = 0');
    this.sql.exec('DELETE FROM health');
    this.sql.exec('UPDATE transitions SET flushed = 1 WHERE flushed = 0');
    this.sql.exec('DELETE FROM transitions WHERE sent = 1 AND flushed = 1');
    return statements;
  }

  /**
   * Distinct sessions per version and surface, exact up to a bound: canary's critical guardrail
   * asks whether a problem was seen in at least 3 canary sessions and none of the baseline's.
   */
  private countSession(version: string, surface: string, sessionId: string): void {
    const kept = this.sql
      .exec<{ n: number }>(
        'SELECT count(*) AS n FROM version_sessions WHERE version = ? AND surface = ?',
        version,
        surface,
      )
      .one().n;
    if (kept >= SESSIONS_PER_VERSION_KEPT) return;
    const added = this.sql
      .exec(
        'INSERT INTO version_sessions (version, surface, session_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1',
        version,
        surface,
        sessionId,
      )
      .toArray().length;
    if (added > 0) {
      this.sql.exec(
        'UPDATE versions SET sessions = sessions + 1 WHERE version = ? AND surface = ?',
        version,
        surface,
      );
    }
  }

  private installCount(s: StateRow): number {
    return s.approximate === 1
      ? Math.max(s.installs_exact, hllEstimate(new Uint8Array(s.hll)))
      : s.installs_exact;
  }

  private readState(): StateRow | null {
    return this.sql.exec<StateRow>('SELECT * FROM state WHERE id = 1').toArray()[0] ?? null;
  }

  private mustReadState(): StateRow {
    const s = this.readState();
    if (s === null) throw new Error('fingerprint state missing');
    return s;
  }
}
