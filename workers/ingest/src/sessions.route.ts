import { type ExtensionConfig, SessionsRequestSchema } from '@homeostat/shared';
import type { Context } from 'hono';
import { IngestError } from './ingest-error.ts';
import { flushIntervalMs } from './ingest-settings.ts';
import { hashInstall } from './install-hash.ts';
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
 * `POST /v1/sessions`: the denominators of release health. The install's RateLimiter drops
 * sessions it has counted before (a resubmitted batch), then the extension's ReleaseHealth
 * object counts the rest per version and 5-minute window.
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
  let accepted: number;
  try {
    const install = await env.RATE_LIMITER.getByName(`install:${installHash}`).admitInstall({
      kind: 'sessions',
      count: batch.sessions.length,
      perMinute: SESSIONS_PER_INSTALL_PER_MINUTE,
      sessionIds: batch.sessions.map((s) => s.sessionId),
      now,
    });
    if (install.granted === 0) {
      throw new IngestError('rate_limited', 'rate limit exceeded', {
        retryAfterSeconds: install.retryAfterSeconds,
      });
    }
    accepted = install.newSessions.length;
    await env.RELEASE_HEALTH.getByName(`release-health:${extension.id}`).recordSessions({
      extensionId: extension.id,
      version: batch.version,
      sessions: accepted,
      newInstallSessions: install.newInstall ? accepted : 0,
      flushIntervalMs: flushIntervalMs(env),
      now,
    });
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError('unavailable', 'storage unavailable, retry later', {
      retryAfterSeconds: 5,
    });
  }
  return accepted;
}
