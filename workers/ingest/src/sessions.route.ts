import { type ExtensionConfig, SessionsRequestSchema } from '@homeostat/shared';
import type { Context } from 'hono';
import { takeExtensionBudget } from './extension-lease.ts';
import { IngestError } from './ingest-error.ts';
import { flushIntervalMs } from './ingest-settings.ts';
import { hashInstall } from './install-hash.ts';
import { takeInstallBurst } from './install-limit.ts';
import { readJsonBody } from './json-body.ts';

/** Session starts are cheaper than events; an install may report this many per minute. */
const SESSIONS_PER_INSTALL_PER_MINUTE = 60;

/** Session starts of one install of one extension version, from any door. */
export interface SessionBatch {
  extension: ExtensionConfig;
  installId: string;
  version: string;
  sessions: readonly { sessionId: string }[];
  /** As in `IngestBatch`: the client's address, or null when unknown. */
  clientAddress: string | null;
}

/**
 * `POST /v1/sessions`: the denominators of release health. Sessions draw on the install's burst
 * limit and on the extension's budget like events (issue 11, item 2), then the extension's
 * ReleaseHealth object counts those it has not counted before, per version and 5-minute window,
 * at most RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow per install and window.
 */
export async function handleSessions(c: Context<{ Bindings: Env }>, extension: ExtensionConfig) {
  const body = await readJsonBody(c, SessionsRequestSchema);
  const accepted = await recordSessions(c.env, {
    extension,
    installId: body.install.id,
    version: body.extension.version,
    sessions: body.sessions,
    clientAddress: c.req.header('cf-connecting-ip') ?? null,
  });
  return c.json({ accepted }, 202);
}

/**
 * The one release-health path (`/v1/sessions` and Sentry's `session` items, issue 13): returns
 * how many sessions were counted. Throws `IngestError` (`rate_limited`, `unavailable`).
 */
export async function recordSessions(env: Env, batch: SessionBatch): Promise<number> {
  const { extension } = batch;
  const now = Date.now();
  const installHash = await hashInstall(extension.id, batch.installId);
  try {
    const burst = await takeInstallBurst(env.INSTALL_LIMITER, {
      kind: 'sessions',
      installHash,
      count: batch.sessions.length,
      perMinute: SESSIONS_PER_INSTALL_PER_MINUTE,
      now,
    });
    const budget =
      burst.granted === 0
        ? { granted: 0, retryAfterSeconds: burst.retryAfterSeconds }
        : await takeExtensionBudget(env.RATE_LIMITER, extension, burst.granted, now);
    const admitted = Math.min(burst.granted, budget.granted);
    if (admitted === 0) {
      throw new IngestError('rate_limited', 'rate limit exceeded', {
        retryAfterSeconds: Math.max(burst.retryAfterSeconds, budget.retryAfterSeconds),
      });
    }
    const { accepted } = await env.RELEASE_HEALTH.getByName(
      `release-health:${extension.id}`,
    ).recordSessions({
      extensionId: extension.id,
      version: batch.version,
      installHash,
      sessionIds: batch.sessions.slice(0, admitted).map((s) => s.sessionId),
      flushIntervalMs: flushIntervalMs(env),
      now,
    });
    return accepted;
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError('unavailable', 'storage unavailable, retry later', {
      retryAfterSeconds: 5,
    });
  }
}
