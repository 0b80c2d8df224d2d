import type { FlushStatement } from './d1-flush.ts';
import { installCount } from './fingerprint-counts.ts';
import { getMeta, readState, setMeta } from './fingerprint-state.ts';
import { drainSampleChanges, samplesChanged } from './sample-reservoir.ts';

/**
 * The D1 projection of one Fingerprint object: its `fingerprints` row, changed
 * `fingerprint_versions` rows, its samples and its transitions, as one idempotent batch
 * (absolute values only; d1-flush.ts sends it without a marker).
 *
 * When it is sent (issue 14, item 2: D1 rows bounded by fingerprints × flushes in practice):
 * - soon (the flush interval) when a reader has something to act on — a transition, which triage
 *   reads the fingerprint for, or a problem D1 has never seen;
 * - otherwise counts are refreshed at most once per COUNTS_REFRESH_MS, and samples change in D1
 *   at most once per SAMPLES_REFRESH_MS. Nobody needs fresher counts: triage updates an issue
 *   body at most hourly, and canary-monitor waits `windowSettleMinutes` (10) before it judges a
 *   window.
 * Rows that did not change are never rewritten.
 */
export const COUNTS_REFRESH_MS = 60_000;
export const SAMPLES_REFRESH_MS = 60_000;

const DAYS_KEPT = 14;
const DAY_MS = 86_400_000;

/** Adds events to today's count of the 14-day series D1 keeps per fingerprint (issue 12). */
export function countDaily(sql: SqlStorage, now: number, events: number): void {
  const today = Math.floor(now / DAY_MS);
  const stored = getMeta<string>(sql, 'daily_events');
  let series: { day: number; counts: number[] } = { day: today, counts: [0] };
  if (stored !== null) {
    const previous = JSON.parse(stored) as { day: number; counts: number[] };
    const gap = Math.max(0, today - previous.day);
    series = {
      day: Math.max(today, previous.day),
      counts: [...previous.counts, ...new Array<number>(gap).fill(0)],
    };
  }
  series.counts[series.counts.length - 1] = (series.counts.at(-1) ?? 0) + events;
  series.counts = series.counts.slice(-DAYS_KEPT);
  setMeta(sql, 'daily_events', JSON.stringify(series));
}

/**
 * Everything changed since the last projection as D1 statements, and clears the change marks
 * (call inside the step that stores the batch). Samples are left for later while they are not due.
 */
export function drainProjection(sql: SqlStorage, now: number): FlushStatement[] {
  const s = readState(sql);
  if (s === null) return [];
  const ext = s.extension_id;
  const fp = s.fingerprint;
  const statements: FlushStatement[] = [];
  if (s.dirty === 1) {
    statements.push({
      sql: `INSERT INTO fingerprints (extension_id, fingerprint, error_type, title, culprit, events, installs,
              installs_approximate, first_seen, last_seen, first_version, last_version, state, fixed_in_version,
              daily_events, flushed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (extension_id, fingerprint) DO UPDATE SET
              events = excluded.events, installs = excluded.installs,
              installs_approximate = excluded.installs_approximate, last_seen = excluded.last_seen,
              last_version = excluded.last_version, state = excluded.state,
              fixed_in_version = excluded.fixed_in_version, daily_events = excluded.daily_events,
              flushed_at = excluded.flushed_at`,
      params: [
        ext,
        fp,
        s.error_type,
        s.title,
        s.culprit,
        s.events,
        installCount(s),
        s.approximate,
        s.first_seen,
        s.last_seen,
        s.first_version,
        s.last_version,
        s.state,
        s.fixed_in_version,
        getMeta<string>(sql, 'daily_events'),
        now,
      ],
    });
  }
  for (const v of sql
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
    statements.push({
      sql: `INSERT INTO fingerprint_versions (extension_id, fingerprint, version, surface, events, sessions, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (extension_id, fingerprint, version, surface) DO UPDATE SET
              events = excluded.events, sessions = excluded.sessions, last_seen = excluded.last_seen`,
      params: [ext, fp, v.version, v.surface, v.events, v.sessions, v.first_seen, v.last_seen],
    });
  }
  if (samplesDueAt(sql, now) <= now) {
    const changes = drainSampleChanges(sql, { extensionId: ext, fingerprint: fp });
    if (changes.length > 0) {
      statements.push(...changes);
      setMeta(sql, 'samples_written_at', now);
    }
  }
  for (const t of sql
    .exec<{ kind: string; version: string; at: number }>(
      'SELECT kind, version, at FROM transitions WHERE flushed = 0',
    )
    .toArray()) {
    statements.push({
      sql: `INSERT INTO fingerprint_transitions (extension_id, fingerprint, kind, version, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING`,
      params: [ext, fp, t.kind, t.version, t.at],
    });
  }
  sql.exec('UPDATE state SET dirty = 0 WHERE id = 1 AND dirty = 1');
  sql.exec('UPDATE versions SET dirty = 0 WHERE dirty = 1');
  sql.exec('UPDATE transitions SET flushed = 1 WHERE flushed = 0');
  sql.exec('DELETE FROM transitions WHERE sent = 1 AND flushed = 1');
  if (statements.length > 0) setMeta(sql, 'flushed_at', now);
  return statements;
}

/** When samples may next change in D1 (Infinity: they have not changed). */
function samplesDueAt(sql: SqlStorage, now: number): number {
  if (!samplesChanged(sql)) return Number.POSITIVE_INFINITY;
  const written = getMeta<number>(sql, 'samples_written_at');
  return written === null ? now : written + SAMPLES_REFRESH_MS;
}

/**
 * When the next projection is due for what is waiting now (null: nothing is). `urgent` is a
 * change a reader acts on (a transition, a resolution).
 */
export function projectionDueAt(
  sql: SqlStorage,
  now: number,
  flushIntervalMs: number,
  urgent: boolean,
): number | null {
  const soon = now + flushIntervalMs;
  const flushedAt = getMeta<number>(sql, 'flushed_at');
  if (urgent || flushedAt === null) return soon;
  const unflushed =
    sql.exec('SELECT 1 FROM transitions WHERE flushed = 0 LIMIT 1').toArray().length > 0;
  if (unflushed) return soon;
  const dirty =
    sql
      .exec(
        'SELECT 1 FROM state WHERE dirty = 1 UNION ALL SELECT 1 FROM versions WHERE dirty = 1 LIMIT 1',
      )
      .toArray().length > 0;
  const due = Math.min(
    dirty ? flushedAt + COUNTS_REFRESH_MS : Number.POSITIVE_INFINITY,
    samplesDueAt(sql, now),
  );
  return Number.isFinite(due) ? Math.max(soon, due) : null;
}
