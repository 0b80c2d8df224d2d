import {
  bodyCap,
  ExtensionIdSchema,
  type HomeostatConfig,
  isVersion,
  parseOrThrow,
  readJsonBody,
} from '@homeostat/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { CanaryDeps } from '../canary-deps.ts';
import { CanaryError } from '../canary-error.ts';
import { ROLLOUT_STATES } from '../rollout/rollout.schema.ts';
import { registerRollout } from '../rollout/rollout-registry.ts';
import { getRollout, parseRollout } from '../rollout/rollout-store.ts';
import {
  DecisionRowSchema,
  decisionDetail,
  decisionSummary,
  NotificationRowSchema,
  notificationView,
  rolloutView,
} from './rollout-view.ts';

/**
 * The releases admin API (issue 6 item 5), mounted under /api behind the ADMIN_TOKEN bearer:
 * - POST /api/rollouts — register a rollout (the release CLI calls it after publishing);
 * - GET  /api/rollouts — list, newest first (`extensionId`, `state`, `limit`, `before`);
 * - GET  /api/rollouts/:id — one rollout with its decision history and notifications;
 * - GET  /api/rollouts/:id/decisions/:decisionId — one decision with the judge's exact input
 *   and output (replay: judge(judgeInput) equals judgeOutput).
 */
const version = z.string().max(23).refine(isVersion, 'must be 1-4 dot-separated integers');

export const RegisterRolloutBodySchema = z
  .strictObject({
    extensionId: ExtensionIdSchema.optional(),
    /** The configured name, as an alternative to the id. */
    extension: z.string().min(1).max(63).optional(),
    version,
    baselineVersion: version.optional(),
    mode: z.enum(['live', 'observe']).optional(),
  })
  .refine((b) => (b.extensionId === undefined) !== (b.extension === undefined), {
    message: 'give exactly one of extensionId and extension',
    path: ['extensionId'],
  });
export type RegisterRolloutBody = z.infer<typeof RegisterRolloutBodySchema>;

const ListQuerySchema = z.strictObject({
  extensionId: ExtensionIdSchema.optional(),
  state: z.enum(ROLLOUT_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});

/** Admin request bodies are a few fields; 16 KiB is generous and bounds what is ever buffered. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

const IdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const HISTORY_LIMIT = 200;

export function rolloutRoutes(config: HomeostatConfig, depsFor: (env: Env) => CanaryDeps) {
  const api = new Hono<{ Bindings: Env }>();

  api.post(
    '/rollouts',
    // Capped before anything reads it; refusals are the shared ones (413, 415, 400).
    bodyCap(MAX_ADMIN_BODY_BYTES),
    async (c) => {
      const body = await readJsonBody(c, RegisterRolloutBodySchema);
      const extensionId =
        body.extensionId ?? config.extensions.find((e) => e.name === body.extension)?.id;
      if (extensionId === undefined) {
        throw new CanaryError('invalid_request', 'the extension is not configured', {
          issues: [{ path: 'extension', code: 'unknown_extension' }],
        });
      }
      const rollout = await registerRollout(
        c.env.DB,
        config,
        {
          extensionId,
          version: body.version,
          baselineVersion: body.baselineVersion,
          mode: body.mode,
        },
        Date.now(),
        depsFor(c.env).storeCredentials,
      );
      return c.json({ rollout: rolloutView(rollout) }, 201);
    },
  );

  api.get('/rollouts', async (c) => {
    const q = parseOrThrow(ListQuerySchema, c.req.query(), 'invalid query');
    const where: string[] = [];
    const binds: unknown[] = [];
    if (q.extensionId !== undefined) {
      binds.push(q.extensionId);
      where.push(`extension_id = ?${binds.length}`);
    }
    if (q.state !== undefined) {
      binds.push(q.state);
      where.push(`state = ?${binds.length}`);
    }
    if (q.before !== undefined) {
      binds.push(q.before);
      where.push(`id < ?${binds.length}`);
    }
    binds.push(q.limit);
    const { results } = await c.env.DB.prepare(
      `SELECT * FROM canary_rollouts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?${binds.length}`,
    )
      .bind(...binds)
      .all();
    const rollouts = results.map((r) => rolloutView(parseRollout(r)));
    return c.json({
      rollouts,
      next: rollouts.length === q.limit ? (rollouts.at(-1)?.id ?? null) : null,
    });
  });

  api.get('/rollouts/:id', async (c) => {
    const id = parseOrThrow(IdSchema, c.req.param('id'), 'invalid rollout id');
    const rollout = await getRollout(c.env.DB, id);
    if (rollout === null) throw new CanaryError('not_found', 'no such rollout');
    const [decisions, notifications] = await Promise.all([
      c.env.DB.prepare(
        `SELECT * FROM canary_decisions WHERE rollout_id = ?1 ORDER BY id DESC LIMIT ${HISTORY_LIMIT}`,
      )
        .bind(id)
        .all(),
      c.env.DB.prepare(
        `SELECT id, decision_id, channel, title, status, attempts, last_error, created_at, updated_at
         FROM canary_notifications WHERE rollout_id = ?1 ORDER BY id DESC LIMIT ${HISTORY_LIMIT}`,
      )
        .bind(id)
        .all(),
    ]);
    return c.json({
      rollout: rolloutView(rollout),
      decisions: decisions.results.map((d) => decisionSummary(DecisionRowSchema.parse(d))),
      notifications: notifications.results.map((n) =>
        notificationView(NotificationRowSchema.parse(n)),
      ),
    });
  });

  api.get('/rollouts/:id/decisions/:decisionId', async (c) => {
    const id = parseOrThrow(IdSchema, c.req.param('id'), 'invalid rollout id');
    const decisionId = parseOrThrow(IdSchema, c.req.param('decisionId'), 'invalid decision id');
    const row = await c.env.DB.prepare(
      'SELECT * FROM canary_decisions WHERE id = ?1 AND rollout_id = ?2',
    )
      .bind(decisionId, id)
      .first();
    if (row === null) throw new CanaryError('not_found', 'no such decision');
    return c.json({ decision: decisionDetail(DecisionRowSchema.parse(row)) });
  });

  return api;
}
