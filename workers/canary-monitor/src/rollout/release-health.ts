import { compareVersions, isVersion } from '@homeostat/shared';
import { z } from 'zod';
import type { HealthWindow } from '../judge/judge.schema.ts';
import { WINDOW_MS } from '../judge/judge.ts';

/**
 * Reads `release_health` (filled by the ingest Worker) into the judge's windows. The judge's
 * numerator is `error_sessions` (error-affected sessions), never `error_events`: raw counts are
 * over-dispersed and break the test (research/canary.md §3.1).
 */

const HealthRowSchema = z.object({
  version: z.string(),
  window_start: z.number(),
  sessions: z.number(),
  error_sessions: z.number(),
  new_install_sessions: z.number(),
});

export const alignWindow = (ms: number) => Math.floor(ms / WINDOW_MS) * WINDOW_MS;

/** Start of the newest window that is closed and settled at `now` (ingest flushes in batches). */
export function lastSettledWindow(now: number, settleMinutes: number): number {
  return alignWindow(now - settleMinutes * 60_000) - WINDOW_MS;
}

/**
 * Consecutive windows `from`..`to` (inclusive starts) for the two versions; a window without a
 * row counts as zero sessions, which the judge treats as a data gap.
 */
export async function loadWindows(
  db: D1Database,
  q: { extensionId: string; canary: string; baseline: string; from: number; to: number },
): Promise<HealthWindow[]> {
  if (q.to < q.from) return [];
  const { results } = await db
    .prepare(
      `SELECT version, window_start, sessions, error_sessions, new_install_sessions
       FROM release_health
       WHERE extension_id = ?1 AND version IN (?2, ?3) AND window_start BETWEEN ?4 AND ?5`,
    )
    .bind(q.extensionId, q.canary, q.baseline, q.from, q.to)
    .all();
  const byWindow = new Map<number, HealthWindow>();
  for (let start = q.from; start <= q.to; start += WINDOW_MS) {
    byWindow.set(start, {
      start,
      canarySessions: 0,
      canaryAffectedSessions: 0,
      baselineSessions: 0,
      baselineAffectedSessions: 0,
      canaryNewInstallSessions: 0,
    });
  }
  for (const raw of results) {
    const row = HealthRowSchema.parse(raw);
    const w = byWindow.get(row.window_start);
    if (w === undefined) continue;
    // An affected-session count above the session count is an ingest inconsistency; cap it so
    // a bad row cannot manufacture evidence.
    const affected = Math.min(row.error_sessions, row.sessions);
    if (row.version === q.canary) {
      w.canarySessions += row.sessions;
      w.canaryAffectedSessions += affected;
      w.canaryNewInstallSessions += Math.min(row.new_install_sessions, row.sessions);
    } else {
      w.baselineSessions += row.sessions;
      w.baselineAffectedSessions += affected;
    }
  }
  return [...byWindow.values()];
}

const VersionTotalSchema = z.object({
  version: z.string(),
  sessions: z.number(),
  first_window: z.number(),
});
export type VersionTotal = z.infer<typeof VersionTotalSchema>;

/** Sessions per version of one extension since `since`, valid versions only. */
export async function versionTotals(
  db: D1Database,
  extensionId: string,
  since: number,
): Promise<VersionTotal[]> {
  const { results } = await db
    .prepare(
      `SELECT version, SUM(sessions) AS sessions, MIN(window_start) AS first_window
       FROM release_health WHERE extension_id = ?1 AND window_start >= ?2
       GROUP BY version`,
    )
    .bind(extensionId, since)
    .all();
  return results
    .map((r) => VersionTotalSchema.parse(r))
    .filter((r) => isVersion(r.version) && r.sessions > 0);
}

/** Without the store, the baseline is the lower version most sessions ran recently. */
export function inferBaseline(totals: readonly VersionTotal[], canary: string): string | null {
  let best: VersionTotal | null = null;
  for (const t of totals) {
    if (compareVersions(t.version, canary) >= 0) continue;
    if (best === null || t.sessions > best.sessions) best = t;
  }
  return best?.version ?? null;
}
