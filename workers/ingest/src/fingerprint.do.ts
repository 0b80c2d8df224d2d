import { DurableObject } from 'cloudflare:workers';
import { compareVersions, FingerprintResolutionsRowSchema } from '@homeostat/shared';
import { FlushOutbox } from './d1-flush.ts';
import {
  countEvents,
  countInstall,
  countNetwork,
  createCountTables,
  forgetNetworks,
  hashNetwork,
  type IncomingEvent,
  installCount,
  pruneRecentEvents,
  type RecordStatus,
} from './fingerprint-counts.ts';
import {
  countErrors,
  createHealthTables,
  healthPending,
  reportDelivered,
  takeReport,
} from './fingerprint-health.ts';
import { sendTransitions } from './fingerprint-outbox.ts';
import { countDaily, drainProjection, projectionDueAt } from './fingerprint-projection.ts';
import {
  createStateTables,
  type FingerprintState,
  getMeta,
  mustReadState,
  readState,
  setMeta,
} from './fingerprint-state.ts';
import {
  applyResolution,
  createTransitionTables,
  nextTransition,
  recordTransition,
  unsentTransitions,
} from './fingerprint-transitions.ts';
import { HLL_REGISTERS } from './hyperloglog.ts';
import { windowStart } from './release-window.ts';
import { createReservoirTables, offerSamples, resetReservoir } from './sample-reservoir.ts';

export type { RecordStatus } from './fingerprint-counts.ts';
export type { FingerprintState } from './fingerprint-state.ts';
export { SAMPLES_KEPT } from './sample-reservoir.ts';

const ResolutionRowSchema = FingerprintResolutionsRowSchema.pick({
  resolved_at: true,
  fixed_in_version: true,
});

/**
 * Fingerprint Durable Object. Invariants:
 * - One instance per (configured extension id, fingerprint), named `<extension id>:<fingerprint>`;
 *   neither part identifies a person. Every event of one problem passes through one instance, so
 *   its decisions (new, regression, threshold) are made once, in order, without races.
 * - It receives scrubbed events only; everything it stores or sends is scrubbed. Of the client's
 *   address it receives only the network prefix and keeps only a salted hash of it, while pending.
 * - One call per request and problem: counting (fingerprint-counts.ts), the state machine
 *   (fingerprint-transitions.ts) and this problem's release-health share (fingerprint-health.ts)
 *   all happen in that call, in one synchronous storage step.
 * - D1 is written from the alarm as one idempotent batch (fingerprint-projection.ts), soon for a
 *   transition and otherwise at most once a minute; release health goes to the ReleaseHealth
 *   object and transitions to the triage queue from the same alarm, each through an outbox.
 * - Triage pushes resolutions (`syncResolution`, through the ingest Worker's RPC entrypoint); the
 *   D1 row stays the durable record, read again at most hourly while the problem is open in case
 *   a push was lost.
 */

const RETRY_FLUSH_MS = 30_000;
/** While open, D1's resolution row is read at most this often, to catch a lost push. */
const RECONCILE_MS = 3_600_000;

export interface RecordInput {
  extensionId: string;
  fingerprint: string;
  errorType: string;
  title: string;
  culprit: string | null;
  installHash: string;
  /**
   * The client's network prefix (network-prefix.ts), the same "unknown" for every client without
   * an address. Hashed with this object's salt while the problem is pending; never stored.
   */
  network: string;
  version: string;
  minInstalls: number;
  minNetworks: number;
  flushIntervalMs: number;
  now: number;
  events: IncomingEvent[];
}

export class FingerprintDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: FlushOutbox;
  private readonly source: string;
  /** When the alarm is set (null: not set); read from storage once per activation. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.source = `fingerprint:${ctx.id.toString()}`;
    this.outbox = new FlushOutbox(this.sql, this.source, { markers: false });
    ctx.blockConcurrencyWhile(async () => {
      createStateTables(this.sql);
      createCountTables(this.sql);
      createTransitionTables(this.sql);
      createHealthTables(this.sql);
      createReservoirTables(this.sql);
    });
  }

  /** Counts a group of events of this fingerprint from one install and decides transitions. */
  async record(input: RecordInput): Promise<RecordStatus[]> {
    const state = readState(this.sql)?.state ?? 'pending';
    // Networks only matter until the problem is announced.
    const network = state === 'pending' ? await hashNetwork(this.salt(), input.network) : null;
    const { statuses, urgent } = this.ctx.storage.transactionSync(() => this.apply(input, network));
    const due = projectionDueAt(this.sql, input.now, input.flushIntervalMs, urgent);
    if (due !== null) await this.alarmBy(due);
    return statuses;
  }

  /**
   * Triage resolved this problem (or changed its resolution): read the durable record from D1 and
   * apply it. Idempotent; called by triage's push and by the hourly reconciliation.
   */
  async syncResolution(): Promise<void> {
    const s = readState(this.sql);
    if (s === null) return;
    await this.reconcile(s, Date.now());
  }

  /** Current state, for tests and diagnostics. */
  async inspect(): Promise<{
    state: FingerprintState | null;
    events: number;
    installs: number;
    approximate: boolean;
    fixedInVersion: string | null;
  }> {
    const s = readState(this.sql);
    if (s === null)
      return { state: null, events: 0, installs: 0, approximate: false, fixedInVersion: null };
    return {
      state: s.state,
      events: s.events,
      installs: installCount(s),
      approximate: s.approximate === 1,
      fixedInVersion: s.fixed_in_version,
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.alarmAt = null;
    const state = readState(this.sql);
    if (state === null) return;
    if (
      (state.state === 'open' || state.state === 'regressed') &&
      now - (getMeta<number>(this.sql, 'resolution_checked_at') ?? 0) >= RECONCILE_MS
    ) {
      await this.reconcile(state, now);
    }

    let pending = this.outbox.pending();
    if (pending === null) {
      // Draining and storing the batch is one step: a crash leaves either both or neither.
      pending = this.ctx.storage.transactionSync(() => {
        const statements = drainProjection(this.sql, now);
        return statements.length > 0 ? { seq: this.outbox.store(statements), statements } : null;
      });
    }
    let failed = false;
    if (pending !== null) {
      failed =
        (await this.outbox.send(this.env.DB, pending.seq, pending.statements, now)) === 'failed';
    }
    // Transitions go out only once the projection that records them is in D1.
    if (!failed) await sendTransitions(this.sql, this.env.TRIAGE_QUEUE);
    failed = !(await this.reportHealth(state, now)) || failed;
    pruneRecentEvents(this.sql, now);

    const retry = failed || unsentTransitions(this.sql) > 0;
    const due = retry
      ? now + RETRY_FLUSH_MS
      : projectionDueAt(this.sql, now, state.flush_interval_ms, false);
    if (due !== null) await this.alarmBy(due);
  }

  private apply(
    input: RecordInput,
    networkHash: string | null,
  ): { statuses: RecordStatus[]; urgent: boolean } {
    const { now } = input;
    let s = readState(this.sql);
    if (s === null) {
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
        new Uint8Array(HLL_REGISTERS),
        input.flushIntervalMs,
      );
      s = mustReadState(this.sql);
    }
    const { statuses, fresh } = countEvents(this.sql, input, s.events);
    if (fresh.length === 0) return { statuses, urgent: false };

    countErrors(
      this.sql,
      { version: input.version, windowStart: windowStart(now), now },
      input.installHash,
      fresh,
    );
    const reservoirSeen = offerSamples(this.sql, fresh, input.version, now, s.reservoir_seen);
    const dailyEvents = countDaily(s.daily_events, now, fresh.length);
    const installs = countInstall(this.sql, s, input.installHash);
    // Checked again here: another call may have announced the problem while this one hashed.
    const networks =
      networkHash === null || s.state !== 'pending'
        ? 0
        : countNetwork(this.sql, networkHash, input.minNetworks);
    const events = s.events + fresh.length;
    const lastVersion =
      compareVersions(input.version, s.last_version) > 0 ? input.version : s.last_version;
    this.sql.exec(
      `UPDATE state SET events = ?, last_seen = ?, last_version = ?, hll = ?, installs_exact = ?, approximate = ?,
         dirty = 1, flush_interval_ms = ?, reservoir_seen = ?, daily_events = ? WHERE id = 1`,
      events,
      now,
      lastVersion,
      installs.hll,
      installs.installs_exact,
      installs.approximate,
      input.flushIntervalMs,
      reservoirSeen,
      dailyEvents,
    );
    // The row as just written, without reading it (and its HyperLogLog blob) back.
    s = {
      ...s,
      ...installs,
      events,
      last_seen: now,
      last_version: lastVersion,
      reservoir_seen: reservoirSeen,
      daily_events: dailyEvents,
    };

    const t = nextTransition(s, {
      version: input.version,
      installs: installCount(s),
      networks,
      minInstalls: input.minInstalls,
      minNetworks: input.minNetworks,
    });
    if (t === null) return { statuses, urgent: false };
    recordTransition(this.sql, t, input.version, now, events);
    if (t.kind === 'new') {
      forgetNetworks(this.sql);
      // Nothing can be resolved before it is announced.
      setMeta(this.sql, 'resolution_checked_at', now);
    }
    if (t.kind === 'regression') resetReservoir(this.sql);
    // A threshold only moves an issue's numbers: it goes out with the next counts refresh.
    return { statuses, urgent: t.kind !== 'threshold' };
  }

  /** Reads D1's resolution row and applies it. */
  private async reconcile(s: { extension_id: string; fingerprint: string }, now: number) {
    const { results } = await this.env.DB.prepare(
      'SELECT resolved_at, fixed_in_version FROM fingerprint_resolutions WHERE extension_id = ? AND fingerprint = ?',
    )
      .bind(s.extension_id, s.fingerprint)
      .all();
    // Triage writes this row: parsed with the read model's schema (issue 14 item 4).
    const row = results[0] === undefined ? undefined : ResolutionRowSchema.parse(results[0]);
    // Read afresh: events may have arrived while D1 was being asked.
    const changed = this.ctx.storage.transactionSync(() => {
      setMeta(this.sql, 'resolution_checked_at', now);
      const current = mustReadState(this.sql);
      return row === undefined
        ? false
        : applyResolution(
            this.sql,
            current,
            { resolvedAt: row.resolved_at, fixedInVersion: row.fixed_in_version },
            now,
          );
    });
    if (changed) await this.alarmBy(now + mustReadState(this.sql).flush_interval_ms);
  }

  /** Hands this problem's release-health share to the extension's ReleaseHealth object. */
  private async reportHealth(
    s: { extension_id: string; flush_interval_ms: number },
    now: number,
  ): Promise<boolean> {
    if (!healthPending(this.sql)) return true;
    const report = this.ctx.storage.transactionSync(() =>
      takeReport(this.sql, this.source, {
        extensionId: s.extension_id,
        flushIntervalMs: s.flush_interval_ms,
        now,
      }),
    );
    if (report === null) return true;
    try {
      await this.env.RELEASE_HEALTH.getByName(`release-health:${s.extension_id}`).recordErrors(
        report,
      );
    } catch {
      return false; // resent with the same number by a later alarm
    }
    reportDelivered(this.sql, report.seq);
    return true;
  }

  /** The random salt of this object's network hashes, made on first use. */
  private salt(): string {
    let salt = getMeta<string>(this.sql, 'salt');
    if (salt === null) {
      salt = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join('');
      setMeta(this.sql, 'salt', salt);
    }
    return salt;
  }

  /** Makes sure the alarm fires no later than `at`. */
  private async alarmBy(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > at) {
      await this.ctx.storage.setAlarm(at);
      this.alarmAt = at;
    }
  }
}
