/**
 * Batched, exactly-once flushes from a Durable Object to D1.
 *
 * A Durable Object aggregates in its own SQLite storage and writes D1 from its alarm, one
 * `batch()` per flush, so D1 writes grow with objects × flushes rather than with events. Some
 * statements are increments (release health), so a flush must apply once even if the object
 * crashes between D1's commit and its own bookkeeping: the batch is persisted in the object
 * before it is sent and starts by inserting its (source, seq) into `ingest_flushes`. D1 runs a
 * batch as one transaction, so a resend of an applied batch fails on that key as a whole and is
 * recognised as already applied.
 *
 * A batch of absolute values only (the Fingerprint object's projection: upserts of whole rows,
 * inserts that ignore conflicts, deletes by key) gives the same result however often it is
 * applied, so it is sent without a marker (`markers: false`): two rows written less per flush,
 * which is most of a quiet fingerprint's D1 cost (issue 14, item 2). One batch is pending at a
 * time, so an older batch can never be re-applied over a newer one.
 */
export interface FlushStatement {
  sql: string;
  params: (string | number | null)[];
}

export type FlushOutcome = 'applied' | 'already_applied' | 'failed';

/** Markers older than this are pruned; no resend can come that late. */
const MARKER_TTL_MS = 7 * 24 * 3_600_000;

export class FlushOutbox {
  private readonly sql: SqlStorage;
  private readonly source: string;
  private readonly markers: boolean;

  constructor(sql: SqlStorage, source: string, options: { markers: boolean } = { markers: true }) {
    this.sql = sql;
    this.source = source;
    this.markers = options.markers;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS pending_flush (seq INTEGER PRIMARY KEY, statements TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS flush_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
  }

  /** The batch built but not yet known to be applied, if any: it must be sent before a new one. */
  pending(): { seq: number; statements: FlushStatement[] } | null {
    const row = this.sql
      .exec<{ seq: number; statements: string }>(
        'SELECT seq, statements FROM pending_flush ORDER BY seq LIMIT 1',
      )
      .toArray()[0];
    return row === undefined ? null : { seq: row.seq, statements: JSON.parse(row.statements) };
  }

  /** Persists a new batch; call inside the same synchronous step that clears what it contains. */
  store(statements: FlushStatement[]): number {
    const last = this.sql
      .exec<{ seq: number | null }>('SELECT max(seq) AS seq FROM pending_flush')
      .toArray()[0]?.seq;
    const seq = Math.max(last ?? 0, this.lastApplied()) + 1;
    this.sql.exec(
      'INSERT INTO pending_flush (seq, statements) VALUES (?, ?)',
      seq,
      JSON.stringify(statements),
    );
    return seq;
  }

  async send(
    db: D1Database,
    seq: number,
    statements: FlushStatement[],
    now: number,
  ): Promise<FlushOutcome> {
    const body = statements.map((s) => db.prepare(s.sql).bind(...s.params));
    const batch = this.markers
      ? [
          db
            .prepare('INSERT INTO ingest_flushes (source, seq, flushed_at) VALUES (?, ?, ?)')
            .bind(this.source, seq, now),
          ...body,
          db
            .prepare('DELETE FROM ingest_flushes WHERE source = ? AND flushed_at < ?')
            .bind(this.source, now - MARKER_TTL_MS),
        ]
      : body;
    let outcome: FlushOutcome;
    try {
      await db.batch(batch);
      outcome = 'applied';
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      outcome = message.includes('UNIQUE constraint failed: ingest_flushes')
        ? 'already_applied'
        : 'failed';
      if (outcome === 'failed') console.error('d1 flush failed', this.source, seq);
    }
    if (outcome !== 'failed') {
      this.sql.exec('DELETE FROM pending_flush WHERE seq = ?', seq);
      this.sql.exec(
        "INSERT INTO flush_meta (key, value) VALUES ('last_applied', ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        seq,
      );
    }
    return outcome;
  }

  private lastApplied(): number {
    return (
      this.sql
        .exec<{ value: number }>("SELECT value FROM flush_meta WHERE key = 'last_applied'")
        .toArray()[0]?.value ?? 0
    );
  }
}
