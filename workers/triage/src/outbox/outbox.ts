import { z } from 'zod';
import type { GitHubRequest } from '../github/github-request.ts';
import { repoKey } from '../issue/issue-store.ts';

/**
 * The dry-run outbox (issue 5, item 7; docs/architecture.md#modes): without GitHub credentials
 * every write triage would send is stored here as the exact request — method, path below the API
 * base URL, JSON body — instead of being sent. `key` makes recording idempotent: a redelivered
 * message records nothing twice. `depends_on` names the entry whose (never created) issue a path's
 * `{issue_number}` stands for.
 */

export interface OutboxEntry {
  key: string;
  repo: string;
  request: GitHubRequest;
  dependsOn?: string;
  purpose: string;
}

export async function recordOutbox(db: D1Database, entry: OutboxEntry, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO triage_outbox (key, repo, purpose, method, path, body, depends_on, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (key) DO NOTHING`,
    )
    .bind(
      entry.key,
      repoKey(entry.repo),
      entry.purpose,
      entry.request.method,
      entry.request.path,
      entry.request.body === undefined ? null : JSON.stringify(entry.request.body),
      entry.dependsOn ?? null,
      now,
    )
    .run();
}

const OutboxRowSchema = z.object({
  id: z.number(),
  key: z.string(),
  repo: z.string(),
  purpose: z.string(),
  method: z.string(),
  path: z.string(),
  body: z.string().nullable(),
  depends_on: z.string().nullable(),
  created_at: z.number(),
});

export interface OutboxRecord {
  id: number;
  key: string;
  repo: string;
  purpose: string;
  method: string;
  path: string;
  body: unknown;
  dependsOn: string | null;
  createdAt: string;
}

export async function listOutbox(
  db: D1Database,
  options: { afterId?: number; limit?: number; repo?: string } = {},
): Promise<OutboxRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM triage_outbox WHERE id > ?1 AND (?2 IS NULL OR repo = ?2)
       ORDER BY id LIMIT ?3`,
    )
    .bind(options.afterId ?? 0, options.repo ?? null, Math.min(options.limit ?? 100, 1000))
    .all();
  return results.map((raw) => {
    const r = OutboxRowSchema.parse(raw);
    return {
      id: r.id,
      key: r.key,
      repo: r.repo,
      purpose: r.purpose,
      method: r.method,
      path: r.path,
      body: r.body === null ? null : (JSON.parse(r.body) as unknown),
      dependsOn: r.depends_on,
      createdAt: new Date(r.created_at).toISOString(),
    };
  });
}
