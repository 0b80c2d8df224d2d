import { DurableObject } from 'cloudflare:workers';
import { releaseHealthTable, upsertRow } from '@homeostat/shared';
import { FlushOutbox } from './d1-flush.ts';
import { windowStart } from './release-window.ts';

/**
 * ReleaseHealth Durable Object: session starts, the canary judge's denominators. Invariants:
 * - One instance per configured extension (`release-health:<extension id>`); sessions arrive far
 *   less often than events (one per service-worker or page start), so one instance suffices.
 * - Sessions are already deduplicated per install by the install's RateLimiter; this object only
 *   counts, per version and 5-minute window, and flushes increments to D1 exactly once
 *   (d1-flush.ts). Error counts of the same rows come from the Fingerprint objects.
 */
const RETRY_FLUSH_MS = 30_000;

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
        CREATE TABLE IF NOT EXISTS counts (
          extension_id TEXT NOT NULL, version TEXT NOT NULL, window_start INTEGER NOT NULL,
          sessions INTEGER NOT NULL, new_install_sessions INTEGER NOT NULL,
          PRIMARY KEY (extension_id, version, window_start));
      `);
    });
  }

  async recordSessions(input: {
    extensionId: string;
    version: string;
    sessions: number;
    newInstallSessions: number;
    flushIntervalMs: number;
    now: number;
  }): Promise<void> {
    if (input.sessions === 0) return;
    this.sql.exec(
      `INSERT INTO counts (extension_id, version, window_start, sessions, new_install_sessions) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (extension_id, version, window_start) DO UPDATE SET
         sessions = sessions + excluded.sessions,
         new_install_sessions = new_install_sessions + excluded.new_install_sessions`,
      input.extensionId,
      input.version,
      windowStart(input.now),
      input.sessions,
      input.newInstallSessions,
    );
    this.flushScheduled ??= (await this.ctx.storage.getAlarm()) !== null;
    if (!this.flushScheduled) {
      await this.ctx.storage.setAlarm(input.now + input.flushIntervalMs);
      this.flushScheduled = true;
    }
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.flushScheduled = false;
    let pending = this.outbox.pending();
    if (pending === null) {
      // Draining and storing the batch is one step: a crash leaves either both or neither.
      pending = this.ctx.storage.transactionSync(() => {
        const rows = this.sql
          .exec<{
            extension_id: string;
            version: string;
            window_start: number;
            sessions: number;
            new_install_sessions: number;
          }>('SELECT * FROM counts')
          .toArray();
        this.sql.exec('DELETE FROM counts');
        // Built from the read model's table (packages/shared/src/read-model, issue 14 item 4).
        const statements = rows.map((r) =>
          upsertRow(releaseHealthTable, r, { sessions: 'add', new_install_sessions: 'add' }),
        );
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
  }
}
