import {
  fingerprintsTable,
  fingerprintTransitionsTable,
  fingerprintVersionsTable,
  type TransitionKind,
  upsertRow,
} from '@homeostat/shared';
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
 * - soon (the flush interval) when a reader has something to act on — a new problem or a
 *   regression, which triage files or reopens an issue for, or a problem D1 has never seen;
 * - otherwise counts are refreshed at most once per COUNTS_REFRESH_MS, and samples change in D1
 *   at most once per SAMPLES_REFRESH_MS. Nobody needs fresher counts: triage updates an issue
 *   body at most hourly, and canary-monitor waits `windowSettleMinutes` (10) before it judges a
 *   window. A threshold crossed only moves an issue's numbers, so it waits for the refresh too.
 * Rows that did not change are never rewritten.
 */
export const COUNTS_REFRESH_MS = 60_000;
export const SAMPLES_REFRESH_MS = 60_000;

const DAYS_KEPT = 14;
const DAY_MS = 86_400_000;

/**
 * Adds events to today's count of the 14-day series D1 keeps per fingerprint (issue 12, read by
 * triage's console): `{day: <epoch day of the last count>, counts: [oldest … newest]}`.
 */
export function countDaily(stored: string | null, now: number, events: number): string {
  const today = Math.floor(now / DAY_MS);
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
  return JSON.stringify(series);
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
    // Built from the read model (packages/shared/src/read-model), the schemas triage and
    // canary-monitor parse these rows with (issue 14 item 4).
    statements.push(
      upsertRow(
        fingerprintsTable,
        {
          extension_id: ext,
          fingerprint: fp,
          error_type: s.error_type,
          title: s.title,
          culprit: s.culprit,
          events: s.events,
          installs: installCount(s),
          installs_approximate: s.approximate === 1 ? 1 : 0,
          first_seen: s.first_seen,
          last_seen: s.last_seen,
          first_version: s.first_version,
          last_version: s.last_version,
          state: s.state,
          fixed_in_version: s.fixed_in_version,
          daily_events: s.daily_events,
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
          daily_events: 'set',
          flushed_at: 'set',
        },
      ),
    );
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
    statements.push(
      upsertRow(
        fingerprintVersionsTable,
        { extension_id: ext, fingerprint: fp, ...v },
        { events: 'set', sessions: 'set', last_seen: 'set' },
      ),
    );
  }
  if (samplesDueAt(sql, now) <= now) {
    const changes = drainSampleChanges(sql, { extensionId: ext, fingerprint: fp });
    if (changes.length > 0) {
      statements.push(...changes);
      setMeta(sql, 'samples_written_at', now);
    }
  }
  for (const t of sql
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
 * change a reader acts on (a new problem, a regression, a resolution).
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
    sql
      .exec("SELECT 1 FROM transitions WHERE flushed = 0 AND kind != 'threshold' LIMIT 1")
      .toArray().length > 0;
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
