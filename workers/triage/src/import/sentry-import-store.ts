import type { SentrySourceConfig } from '@homeostat/shared';
import { z } from 'zod';

/**
 * D1 state of the Sentry importer (D1-schema.sql, "issue 13, item 2"): per source, the cursor of
 * the page to read next, until when to wait, and a lease; per issue, the `lastSeen` already
 * imported. Every write is idempotent, so a repeated or overlapping cron tick does no harm.
 */

/** '<origin>|<org>|<project>', lowercased: the same project however its URL is written. */
export function sourceKey(source: SentrySourceConfig): string {
  return `${new URL(source.baseUrl).origin}|${source.org}|${source.project}`.toLowerCase();
}

const ClaimRowSchema = z.object({ cursor: z.string().nullable() });
const WaitRowSchema = z.object({ resume_after: z.number(), lease_until: z.number() });
const SeenRowSchema = z.object({ issue_id: z.string(), last_seen: z.string() });

export type Claim =
  | { claimed: true; cursor: string | null }
  | { claimed: false; reason: 'waiting' | 'busy' };

export class SentryImportStore {
  readonly db: D1Database;

  constructor(db: D1Database) {
    this.db = db;
  }

  /** Takes the source's lease unless another tick holds it or the source must still wait. */
  async claim(key: string, now: number, leaseMs: number): Promise<Claim> {
    const row = await this.db
      .prepare(
        `INSERT INTO import_sentry_sources (source_key, cursor, lease_until, updated_at)
         VALUES (?1, NULL, ?2, ?3)
         ON CONFLICT (source_key) DO UPDATE SET lease_until = excluded.lease_until,
           updated_at = excluded.updated_at
         WHERE import_sentry_sources.lease_until <= ?3 AND import_sentry_sources.resume_after <= ?3
         RETURNING cursor`,
      )
      .bind(key, now + leaseMs, now)
      .first();
    if (row !== null) return { claimed: true, cursor: ClaimRowSchema.parse(row).cursor };
    const state = WaitRowSchema.parse(
      await this.db
        .prepare('SELECT resume_after, lease_until FROM import_sentry_sources WHERE source_key = ?')
        .bind(key)
        .first(),
    );
    return { claimed: false, reason: state.resume_after > now ? 'waiting' : 'busy' };
  }

  /** Ends a tick: where the pass stands, until when to wait, what happened; the lease is freed. */
  async release(
    key: string,
    now: number,
    end: { cursor: string | null; resumeAfter: number; outcome: string; imported: number },
  ): Promise<void> {
    await this.db
      .prepare(
        `UPDATE import_sentry_sources SET cursor = ?2, resume_after = ?3, lease_until = 0,
           last_run_at = ?4, last_outcome = ?5, imported = imported + ?6, updated_at = ?4,
           pass_started_at = CASE WHEN ?2 IS NULL THEN NULL ELSE COALESCE(pass_started_at, ?4) END
         WHERE source_key = ?1`,
      )
      .bind(key, end.cursor, end.resumeAfter, now, end.outcome, end.imported)
      .run();
  }

  /** The `lastSeen` already imported, of those of `issueIds` that were. */
  async seen(key: string, issueIds: readonly string[]): Promise<Map<string, string>> {
    if (issueIds.length === 0) return new Map();
    const { results } = await this.db
      .prepare(
        `SELECT issue_id, last_seen FROM import_sentry_issues
         WHERE source_key = ? AND issue_id IN (SELECT value FROM json_each(?))`,
      )
      .bind(key, JSON.stringify(issueIds))
      .all();
    return new Map(
      results.map((r) => SeenRowSchema.parse(r)).map((r) => [r.issue_id, r.last_seen]),
    );
  }

  async markImported(
    key: string,
    now: number,
    issues: readonly { issueId: string; lastSeen: string; eventId: string }[],
  ): Promise<void> {
    if (issues.length === 0) return;
    await this.db.batch(
      issues.map((i) =>
        this.db
          .prepare(
            `INSERT INTO import_sentry_issues (source_key, issue_id, last_seen, event_id, imported_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (source_key, issue_id) DO UPDATE SET last_seen = excluded.last_seen,
               event_id = excluded.event_id, imported_at = excluded.imported_at`,
          )
          .bind(key, i.issueId, i.lastSeen, i.eventId, now),
      ),
    );
  }
}
