import { errorResponse, hasSecret } from '@homeostat/shared';
import type { MiddlewareHandler } from 'hono';
import { CanaryError } from '../canary-error.ts';

/**
 * Bearer `ADMIN_TOKEN` for everything under /api. Without ADMIN_TOKEN configured the admin API is
 * disabled and answers 403 `admin_disabled` (a clear signal to the operator, and no token can
 * ever match an empty secret); a missing or wrong token answers 401 with `WWW-Authenticate`.
 * Tokens are compared in constant time on their SHA-256 digests, so neither the content nor the
 * length of the secret leaks through timing.
 */
async function digest(value: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
}

export async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function adminAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async function requireAdminToken(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    if (!hasSecret(expected)) {
      return errorResponse(
        new CanaryError('admin_disabled', 'the admin API is disabled: ADMIN_TOKEN is not set'),
      );
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (match?.[1] === undefined || !(await tokensEqual(match[1], expected.trim()))) {
      const res = errorResponse(
        new CanaryError('unauthorized', 'a valid bearer token is required'),
      );
      res.headers.set('www-authenticate', 'Bearer realm="homeostat-canary"');
      return res;
    }
    await next();
  };
}
