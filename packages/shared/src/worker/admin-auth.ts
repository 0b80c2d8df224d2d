import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { hasSecret } from './health.ts';
import { RequestError } from './request-error.ts';
import { errorResponse } from './worker-app.ts';

/** The binding every Worker with an admin API declares (a Wrangler secret). */
export interface AdminBindings {
  ADMIN_TOKEN?: string | undefined;
}

/**
 * Bearer `ADMIN_TOKEN` for a Worker's admin routes: the one copy every Worker mounts (issue 11,
 * section 5). Without the secret the admin API is off and answers 403 `admin_disabled` (why 403:
 * request-error.ts); a missing, malformed or wrong token answers 401 `unauthorized` with a
 * `WWW-Authenticate` challenge (RFC 6750 §3). The comparison is hono's `timingSafeEqual`: both
 * sides are hashed with SHA-256 and compared in constant time, so the time taken tells nothing
 * about how much of a guess was right, nor the secret's length.
 */
export function adminAuth<E extends { Bindings: AdminBindings }>(options: {
  /** Names the Worker in the challenge, e.g. `homeostat-triage`. */
  realm: string;
}): MiddlewareHandler<E> {
  const challenge = `Bearer realm="${options.realm.replace(/["\\]/g, '')}"`;
  return async function requireAdminToken(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    if (expected === undefined || !hasSecret(expected)) {
      return errorResponse(
        new RequestError('admin_disabled', 'the admin API is disabled: ADMIN_TOKEN is not set'),
      );
    }
    const presented = /^Bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !(await timingSafeEqual(presented, expected.trim()))) {
      const res = errorResponse(
        new RequestError('unauthorized', 'a valid admin bearer token is required'),
      );
      res.headers.set('www-authenticate', challenge);
      return res;
    }
    await next();
  };
}
