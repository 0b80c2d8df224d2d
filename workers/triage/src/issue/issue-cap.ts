import { z } from 'zod';
import { type IssueKey, repoKey } from './issue-store.ts';

/**
 * The per-repository cap on new GitHub issues per UTC day (issue 11, item 2: "the public ingest
 * key must not be a lever on GitHub"). Each fingerprint that would get a new issue first takes a
 * slot (`triage_issue_slots`): `issue` while fewer than `limits.newIssuesPerDay` fingerprints of
 * the repository took one today, `digest` after that. Taking is one statement (count and insert
 * together, so concurrent consumers cannot both take the last slot) and idempotent: a replayed
 * message finds the slot its first delivery took. A fingerprint granted an issue keeps it (its
 * creation may still be retried, or adopted after a crash); one sent to a digest is weighed
 * again on a later day.
 */

export type SlotKind = 'issue' | 'digest';

/** `YYYY-MM-DD` of the UTC day. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const SlotRowSchema = z.object({ kind: z.enum(['issue', 'digest']), day: z.string() });

export async function takeIssueSlot(
  db: D1Database,
  key: IssueKey,
  perDay: number,
  now: number,
): Promise<SlotKind> {
  const day = utcDay(now);
  const repo = repoKey(key.repo);
  await db
    .prepare(
      `INSERT INTO triage_issue_slots (repo, extension_id, fingerprint, day, kind, created_at)
       SELECT ?1, ?2, ?3, ?4,
         CASE WHEN (SELECT count(*) FROM triage_issue_slots
                    WHERE repo = ?1 AND day = ?4 AND kind = 'issue') < ?5
              THEN 'issue' ELSE 'digest' END,
         ?6
       WHERE true
       ON CONFLICT (repo, extension_id, fingerprint) DO UPDATE SET
         day = excluded.day, kind = excluded.kind, created_at = excluded.created_at
       WHERE triage_issue_slots.kind = 'digest' AND triage_issue_slots.day <> excluded.day`,
    )
    .bind(repo, key.extensionId, key.fingerprint, day, perDay, now)
    .run();
  const row = await db
    .prepare(
      'SELECT kind, day FROM triage_issue_slots WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3',
    )
    .bind(repo, key.extensionId, key.fingerprint)
    .first();
  return SlotRowSchema.parse(row).kind;
}

const DigestEntrySchema = z.object({
  extension_id: z.string(),
  fingerprint: z.string(),
  title: z.string().nullable(),
});
export type DigestEntry = z.infer<typeof DigestEntrySchema>;

/** The fingerprints of a repository's digest for a day, oldest first, and how many in all. */
export async function digestEntries(
  db: D1Database,
  repo: string,
  day: string,
  limit: number,
): Promise<{ entries: DigestEntry[]; total: number }> {
  const [list, count] = await db.batch([
    db
      .prepare(
        `SELECT s.extension_id, s.fingerprint, f.title
         FROM triage_issue_slots s
         LEFT JOIN fingerprints f ON f.extension_id = s.extension_id AND f.fingerprint = s.fingerprint
         WHERE s.repo = ?1 AND s.day = ?2 AND s.kind = 'digest'
         ORDER BY s.created_at, s.extension_id, s.fingerprint
         LIMIT ?3`,
      )
      .bind(repoKey(repo), day, limit),
    db
      .prepare(
        `SELECT count(*) AS n FROM triage_issue_slots WHERE repo = ?1 AND day = ?2 AND kind = 'digest'`,
      )
      .bind(repoKey(repo), day),
  ]);
  return {
    entries: z.array(DigestEntrySchema).parse(list?.results ?? []),
    total: z.object({ n: z.number() }).parse(count?.results?.[0]).n,
  };
}
