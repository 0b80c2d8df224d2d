import {
  compareVersions,
  FingerprintsRowSchema,
  FingerprintVersionsRowSchema,
  isVersion,
  ReleaseHealthRowSchema,
} from '@homeostat/shared';
import { z } from 'zod';
import type { FingerprintCounts, HealthWindow } from '../judge/judge.schema.ts';
import { WINDOW_MS } from '../judge/judge.ts';

/**
 * Reads `release_health` and `fingerprint_versions` (filled by the ingest Worker) into the
 * judge's input. The judge's numerator is `error_sessions` (error-affected sessions), never
 * `error_events`: raw counts are over-dispersed and break the test (research/canary.md §3.1).
 * Counts go to the judge as stored; the judge itself leaves out new installs and clamps
 * inconsistent rows (judge.ts, `establishedCounts`), so a decision record shows what ingest said.
 * Clients report these counts, so they are untrusted (issue 11 item 2): ingest caps what one
 * install counts per window and records the distinct installs behind each row (`installs`,
 * `error_installs`), which the judge needs to act only on evidence no single install carries.
 */

// Row schemas come from the read model (packages/shared/src/read-model, issue 14 item 4).
const HealthRowSchema = ReleaseHealthRowSchema.pick({
  version: true,
  window_start: true,
  sessions: true,
  error_sessions: true,
  new_install_sessions: true,
  new_install_error_sessions: true,
  installs: true,
  error_installs: true,
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
      `SELECT version, window_start, sessions, error_sessions, new_install_sessions,
         new_install_error_sessions, installs, error_installs
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
      canaryNewInstallAffectedSessions: 0,
      baselineNewInstallSessions: 0,
      baselineNewInstallAffectedSessions: 0,
      canaryInstalls: 0,
      canaryAffectedInstalls: 0,
      baselineInstalls: 0,
      baselineAffectedInstalls: 0,
    });
  }
  for (const raw of results) {
    const row = HealthRowSchema.parse(raw);
    const w = byWindow.get(row.window_start);
    if (w === undefined) continue;
    // One row per (version, window): the primary key of release_health.
    if (row.version === q.canary) {
      w.canarySessions = row.sessions;
      w.canaryAffectedSessions = row.error_sessions;
      w.canaryNewInstallSessions = row.new_install_sessions;
      w.canaryNewInstallAffectedSessions = row.new_install_error_sessions;
      w.canaryInstalls = row.installs;
      w.canaryAffectedInstalls = row.error_installs;
    } else {
      w.baselineSessions = row.sessions;
      w.baselineAffectedSessions = row.error_sessions;
      w.baselineNewInstallSessions = row.new_install_sessions;
      w.baselineNewInstallAffectedSessions = row.new_install_error_sessions;
      w.baselineInstalls = row.installs;
      w.baselineAffectedInstalls = row.error_installs;
    }
  }
  return [...byWindow.values()];
}

const versions = FingerprintVersionsRowSchema.shape;
const FingerprintRowSchema = z.object({
  fingerprint: versions.fingerprint,
  canary_sessions: versions.sessions,
  baseline_sessions: versions.sessions,
  installs: FingerprintsRowSchema.shape.installs,
});

/**
 * Fingerprints triage classed `critical` (triage_issues.class, its policy class) that the canary
 * version was seen with, and the distinct sessions each was seen in on the canary and on the
 * baseline, as of now: the input of the critical guardrail (research/canary.md §4.2 step 3).
 * fingerprint_versions keeps one row per surface; sessions are summed over surfaces, so a session
 * that hit the problem in two surfaces counts twice (distinct sessions across surfaces are not
 * stored). Its counts are exact up to 100 per surface, far above the guardrail's 3 and 0. They
 * include new installs: fingerprint_versions does not split by install age, and a problem that
 * was ever seen on the baseline (at any age) does not trip the guardrail. Only `critical` rows
 * are read: the other classes cannot halt, and every look stores what it read. `installs` is the
 * fingerprint's distinct installs over all versions (`fingerprints.installs`, 0 before ingest
 * flushed it): one install must not trip the guardrail (issue 11 item 2).
 */
export async function loadCriticalFingerprints(
  db: D1Database,
  q: { extensionId: string; canary: string; baseline: string },
): Promise<FingerprintCounts[]> {
  const { results } = await db
    .prepare(
      `WITH critical AS (
         SELECT DISTINCT fingerprint FROM triage_issues
         WHERE extension_id = ?1 AND class = 'critical')
       SELECT c.fingerprint AS fingerprint,
         SUM(CASE WHEN fv.version = ?2 THEN fv.sessions ELSE 0 END) AS canary_sessions,
         SUM(CASE WHEN fv.version = ?3 THEN fv.sessions ELSE 0 END) AS baseline_sessions,
         COALESCE(MAX(f.installs), 0) AS installs
       FROM critical c
       JOIN fingerprint_versions fv
         ON fv.extension_id = ?1 AND fv.fingerprint = c.fingerprint AND fv.version IN (?2, ?3)
       LEFT JOIN fingerprints f ON f.extension_id = ?1 AND f.fingerprint = c.fingerprint
       GROUP BY c.fingerprint
       HAVING canary_sessions > 0
       ORDER BY c.fingerprint`,
    )
    .bind(q.extensionId, q.canary, q.baseline)
    .all();
  return results.map((raw) => {
    const row = FingerprintRowSchema.parse(raw);
    return {
      fingerprint: row.fingerprint,
      class: 'critical',
      canarySessions: row.canary_sessions,
      baselineSessions: row.baseline_sessions,
      installs: row.installs,
    };
  });
}

const health = ReleaseHealthRowSchema.shape;
const VersionTotalSchema = z.object({
  version: health.version,
  sessions: health.sessions,
  first_window: health.window_start,
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
