import { DurableObject } from 'cloudflare:workers';
import { type BucketRule, type BucketState, perMinute, takeTokens } from './token-bucket.ts';

/**
 * RateLimiter Durable Object: one per extension (`extension:<id>`). Invariants:
 * - It owns the extension's per-minute bucket and daily quota and hands out leases of many tokens
 *   at once (extension-lease.ts), so its load grows with Worker isolates, not with events.
 * - Per-install burst limits are not here any more: they are the Rate Limiting binding's, asked
 *   without a Durable Object call (install-limit.ts, issue 14 item 1). Objects named
 *   `install:<hash>` by earlier versions are never called again and delete themselves when idle.
 * - Idle instances delete themselves after 30 days (alarm), so storage does not grow with churn.
 */

const IDLE_DELETE_MS = 30 * 24 * 3_600_000;

export interface ExtensionLease {
  granted: number;
  retryAfterSeconds: number;
  /** 'day' when the daily quota, not the bucket, is what ran out. */
  limitedBy: 'bucket' | 'day' | null;
}

export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Whether the idle-deletion alarm is set; read from storage once per activation. */
  private alarmSet: boolean | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, used INTEGER NOT NULL);
      `);
    });
  }

  /**
   * A lease of up to `want` event tokens from the extension's bucket and daily quota. `refund`
   * returns what an expired earlier lease did not use, so leasing ahead costs no budget.
   */
  async leaseExtension(input: {
    want: number;
    refund: number;
    perMinute: number;
    perDay: number;
    now: number;
  }): Promise<ExtensionLease> {
    if (input.refund > 0) this.refund('extension', perMinute(input.perMinute), input.refund);
    const day = new Date(input.now).toISOString().slice(0, 10);
    const used =
      this.sql.exec<{ used: number }>('SELECT used FROM days WHERE day = ?', day).toArray()[0]
        ?.used ?? 0;
    const dayLeft = Math.max(0, input.perDay - used);
    const take = this.take(
      'extension',
      perMinute(input.perMinute),
      Math.min(input.want, dayLeft),
      input.now,
    );
    this.sql.exec(
      'INSERT INTO days (day, used) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET used = used + excluded.used',
      day,
      take.granted,
    );
    this.sql.exec('DELETE FROM days WHERE day < ?', day);
    this.touch(input.now);
    await this.ensureAlarm(input.now);
    if (dayLeft === 0) {
      const nextDay = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
      return {
        granted: 0,
        retryAfterSeconds: Math.ceil((nextDay - input.now) / 1000),
        limitedBy: 'day',
      };
    }
    return {
      granted: take.granted,
      retryAfterSeconds: take.retryAfterSeconds,
      limitedBy: take.granted < input.want ? 'bucket' : null,
    };
  }

  override async alarm(): Promise<void> {
    const lastSeen = this.sql
      .exec<{ value: number }>("SELECT value FROM meta WHERE key = 'last_seen'")
      .toArray()[0]?.value;
    if (lastSeen !== undefined && Date.now() - lastSeen < IDLE_DELETE_MS) {
      // Not idle after all: look again when it would be, judged from the last use.
      await this.ctx.storage.setAlarm(lastSeen + IDLE_DELETE_MS);
      this.alarmSet = true;
      return;
    }
    await this.ctx.storage.deleteAll();
    this.alarmSet = false;
  }

  /**
   * The alarm only has to exist; when it fires it re-arms itself from `last_seen`. Setting it on
   * every call would cost a storage write per request.
   */
  private async ensureAlarm(now: number): Promise<void> {
    this.alarmSet ??= (await this.ctx.storage.getAlarm()) !== null;
    if (!this.alarmSet) {
      await this.ctx.storage.setAlarm(now + IDLE_DELETE_MS);
      this.alarmSet = true;
    }
  }

  private touch(now: number): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('last_seen', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      now,
    );
  }

  private refund(name: string, rule: BucketRule, tokens: number): void {
    const current = this.readBucket(name);
    if (current === null) return;
    this.writeBucket(name, {
      tokens: Math.min(rule.capacity, current.tokens + tokens),
      updatedAt: current.updatedAt,
    });
  }

  private readBucket(name: string): BucketState | null {
    const row = this.sql
      .exec<{ tokens: number; updated_at: number }>(
        'SELECT tokens, updated_at FROM buckets WHERE name = ?',
        name,
      )
      .toArray()[0];
    return row === undefined ? null : { tokens: row.tokens, updatedAt: row.updated_at };
  }

  private writeBucket(name: string, state: BucketState): void {
    this.sql.exec(
      `INSERT INTO buckets (name, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
      name,
      state.tokens,
      state.updatedAt,
    );
  }

  private take(name: string, rule: BucketRule, want: number, now: number) {
    const result = takeTokens(this.readBucket(name), rule, want, now);
    this.writeBucket(name, result.state);
    return result;
  }
}
