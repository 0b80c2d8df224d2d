import { adminAuth, describeIssues } from '@homeostat/shared';
import type { Hono } from 'hono';
import { z } from 'zod';
import { TriageError } from '../errors.ts';
import { listFixAttempts } from '../fix/fix-run-record.ts';
import { listOutbox } from '../outbox/outbox.ts';
import { listRuns } from '../run-record.ts';

/**
 * The admin API (issue 5, items 4, 7 and 8), behind the shared `adminAuth` (bearer ADMIN_TOKEN):
 * - `GET /admin/outbox?after=<id>&limit=<n>&repo=<owner/name>`: the dry-run outbox, oldest first;
 *   `next` is the `after` of the following page.
 * - `GET /admin/runs.jsonl?since=<ISO time or epoch ms>&limit=<n>`: run records as JSON Lines,
 *   triage runs (`kind: 'triage_run'`) then fix attempts (`kind: 'fix_attempt'`).
 * - `GET /admin/decisions?fingerprint=<id>&limit=<n>`: the attempt store's decision log.
 */

const Limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const OutboxQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: Limit(1000, 100),
  repo: z.string().max(140).optional(),
});

const RunsQuery = z.object({
  since: z
    .string()
    .max(40)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return 0;
      const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
      if (Number.isNaN(t)) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO time or epoch milliseconds' });
        return z.NEVER;
      }
      return t;
    }),
  limit: Limit(10_000, 1000),
});

const DecisionsQuery = z.object({
  fingerprint: z.string().min(1).max(128).optional(),
  limit: Limit(1000, 200),
});

function query<T>(schema: z.ZodType<T>, raw: Record<string, string>): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new TriageError('invalid_request', 'invalid query parameters', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })),
      internal: describeIssues(parsed.error.issues).join('; '),
    });
  }
  return parsed.data;
}

const DecisionRowSchema = z.object({
  id: z.number(),
  at: z.number(),
  run_id: z.string().nullable(),
  repo: z.string(),
  extension_id: z.string().nullable(),
  fingerprint: z.string().nullable(),
  action: z.string(),
  allowed: z.number(),
  reason: z.string(),
  detail: z.string().nullable(),
});

export function registerAdminRoutes(app: Hono<{ Bindings: Env }>): void {
  app.use('/admin/*', adminAuth({ realm: 'homeostat-triage' }));

  app.get('/admin/outbox', async (c) => {
    const q = query(OutboxQuery, c.req.query());
    const entries = await listOutbox(c.env.DB, {
      afterId: q.after,
      limit: q.limit,
      ...(q.repo === undefined ? {} : { repo: q.repo.toLowerCase() }),
    });
    const last = entries.at(-1);
    return c.json({
      entries,
      next: entries.length === q.limit && last !== undefined ? last.id : null,
    });
  });

  app.get('/admin/runs.jsonl', async (c) => {
    const q = query(RunsQuery, c.req.query());
    const runs = await listRuns(c.env.DB, { since: q.since, limit: q.limit });
    // Fix attempts follow the triage runs (issue 10, item 8): one line each, `kind` tells them apart.
    const attempts = await listFixAttempts(c.env.DB, { since: q.since, limit: q.limit });
    const body = [...runs.map((r) => ({ kind: 'triage_run', ...r })), ...attempts]
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('');
    return c.body(body, 200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
  });

  app.get('/admin/decisions', async (c) => {
    const q = query(DecisionsQuery, c.req.query());
    const { results } = await c.env.DB.prepare(
      `SELECT * FROM triage_decisions WHERE (?1 IS NULL OR fingerprint = ?1) ORDER BY id DESC LIMIT ?2`,
    )
      .bind(q.fingerprint ?? null, q.limit)
      .all();
    const decisions = results.map((raw) => {
      const d = DecisionRowSchema.parse(raw);
      return {
        id: d.id,
        at: new Date(d.at).toISOString(),
        runId: d.run_id,
        repo: d.repo,
        extensionId: d.extension_id,
        fingerprint: d.fingerprint,
        action: d.action,
        allowed: d.allowed !== 0,
        reason: d.reason,
        detail: d.detail === null ? null : (JSON.parse(d.detail) as unknown),
      };
    });
    return c.json({ decisions });
  });
}
