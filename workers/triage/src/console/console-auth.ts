import {
  type HomeostatConfig,
  hasSecret,
  parseHomeostatEnv,
  type WorkerMode,
} from '@homeostat/shared';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { FetchLike } from '../github/github-client.ts';

/**
 * Who may see the console (issue 12, item 1), decided per request in this order:
 * 1. `local`: a loopback host outside production. `npm start` serves 127.0.0.1 only, and nobody
 *    else can reach it; a deployed Worker is never addressed by a loopback name.
 * 2. `access`: the config names a Cloudflare Access application. Access puts a signed JWT in
 *    `Cf-Access-Jwt-Assertion`; it is checked against the team's published keys, issuer and the
 *    application's audience (developers.cloudflare.com/cloudflare-one/identity/authorization-
 *    cookie/validating-json/). The header alone proves nothing: it must verify.
 * 3. `session`: ADMIN_TOKEN is set. Logging in with it gives a signed, expiring session cookie
 *    (HttpOnly, Secure, SameSite=Strict, `__Host-` prefixed); every form also carries a CSRF token
 *    that must equal its own `__Host-` cookie, and a cross-origin POST is refused outright.
 * Otherwise the console is off.
 */
export type ConsoleViewer =
  | { kind: 'local' }
  | { kind: 'access'; email: string | null }
  | { kind: 'session' };

export type ConsoleAuthMode = 'local' | 'access' | 'session' | 'disabled';

export interface ConsoleDeps {
  fetch?: FetchLike;
  now?: () => number;
  /** Tests supply the Access team's keys; production fetches them from the team's certs URL. */
  accessKeys?: JWTVerifyGetKey;
}

const SESSION_COOKIE = '__Host-homeostat-console';
const CSRF_COOKIE = '__Host-homeostat-csrf';
const SESSION_TTL_MS = 12 * 3_600_000;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

type Env_ = {
  Bindings: Env;
  /** `mode`: triage's mode for the layout (console.route.tsx sets it; it depends on the config). */
  Variables: { viewer: ConsoleViewer; csrf: string; mode: WorkerMode };
};

export function isLoopbackRequest(c: Context): boolean {
  return (
    parseHomeostatEnv((c.env as Env).HOMEOSTAT_ENV) !== 'production' &&
    LOOPBACK.test(new URL(c.req.url).hostname)
  );
}

export function consoleAuthMode(c: Context, config: HomeostatConfig): ConsoleAuthMode {
  if (isLoopbackRequest(c)) return 'local';
  if (config.console.access !== undefined) return 'access';
  if (hasSecret((c.env as Env).ADMIN_TOKEN)) return 'session';
  return 'disabled';
}

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(24)));
}

/** The session key is derived from ADMIN_TOKEN: rotating the token ends every session. */
async function sessionKey(adminToken: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`homeostat-console-session\n${adminToken.trim()}`),
  );
  return crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

async function sign(key: CryptoKey, payload: string): Promise<string> {
  return base64url(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(payload)));
}

export async function issueSession(adminToken: string, now: number): Promise<string> {
  const payload = `${now + SESSION_TTL_MS}.${randomToken()}`;
  return `${payload}.${await sign(await sessionKey(adminToken), payload)}`;
}

export async function verifySession(
  adminToken: string,
  cookie: string | undefined,
  now: number,
): Promise<boolean> {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
  if (m === null || Number(m[1]) <= now) return false;
  const key = await sessionKey(adminToken);
  const sig = Uint8Array.from(atob((m[3] ?? '').replace(/-/g, '+').replace(/_/g, '/')), (ch) =>
    ch.charCodeAt(0),
  );
  return crypto.subtle.verify('HMAC', key, sig, new TextEncoder().encode(`${m[1]}.${m[2]}`));
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}

/** Constant-time on digests: neither the content nor the length of the secret leaks. */
export async function secretEquals(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected.trim())]);
  return given !== '' && crypto.subtle.timingSafeEqual(a, b);
}

const jwksCache = new Map<string, JWTVerifyGetKey>();

function accessKeys(teamDomain: string, deps: ConsoleDeps): JWTVerifyGetKey {
  if (deps.accessKeys !== undefined) return deps.accessKeys;
  let keys = jwksCache.get(teamDomain);
  if (keys === undefined) {
    keys = createRemoteJWKSet(new URL(`https://${teamDomain}/cdn-cgi/access/certs`), {
      timeoutDuration: 5_000,
      ...(deps.fetch === undefined ? {} : { [customFetch]: deps.fetch as typeof fetch }),
    });
    jwksCache.set(teamDomain, keys);
  }
  return keys;
}

export async function verifyAccessJwt(
  token: string | undefined,
  access: NonNullable<HomeostatConfig['console']['access']>,
  deps: ConsoleDeps,
): Promise<{ email: string | null } | null> {
  if (token === undefined || token.length > 8_192) return null;
  try {
    const { payload } = await jwtVerify(token, accessKeys(access.teamDomain, deps), {
      issuer: `https://${access.teamDomain}`,
      audience: access.audience,
      algorithms: ['RS256'],
    });
    return { email: typeof payload.email === 'string' ? payload.email : null };
  } catch {
    return null;
  }
}

/** The CSRF token of this browser (set on first sight), for every form the page renders. */
export function csrfToken(c: Context<Env_>): string {
  let token = getCookie(c, CSRF_COOKIE);
  if (token === undefined || !/^[A-Za-z0-9_-]{32}$/.test(token)) {
    token = randomToken();
    setCookie(c, CSRF_COOKIE, token, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Strict',
    });
  }
  return token;
}

/** A POST is accepted only from this origin and with the form token equal to its cookie. */
export async function checkCsrf(c: Context<Env_>, formToken: unknown): Promise<boolean> {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin) return false;
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const cookie = getCookie(c, CSRF_COOKIE);
  return (
    typeof formToken === 'string' &&
    cookie !== undefined &&
    cookie.length === 32 &&
    (await secretEquals(formToken, cookie))
  );
}

export function setSessionCookie(c: Context, value: string | null): void {
  setCookie(c, SESSION_COOKIE, value ?? '', {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Strict',
    maxAge: value === null ? 0 : SESSION_TTL_MS / 1000,
  });
}

/**
 * Resolves the viewer or answers for them: a redirect to the login page, or 403 when no way in
 * is configured. Login and assets are outside it (console.route.tsx registers them first).
 */
export function requireViewer(
  config: HomeostatConfig,
  deps: ConsoleDeps,
  deny: (c: Context<Env_>, why: 'disabled' | 'access') => Response | Promise<Response>,
): MiddlewareHandler<Env_> {
  return async function consoleViewer(c, next) {
    const now = (deps.now ?? Date.now)();
    switch (consoleAuthMode(c, config)) {
      case 'local':
        c.set('viewer', { kind: 'local' });
        break;
      case 'access': {
        const access = config.console.access;
        const verified =
          access === undefined
            ? null
            : await verifyAccessJwt(c.req.header('cf-access-jwt-assertion'), access, deps);
        if (verified === null) return deny(c, 'access');
        c.set('viewer', { kind: 'access', email: verified.email });
        break;
      }
      case 'session': {
        const ok = await verifySession(c.env.ADMIN_TOKEN, getCookie(c, SESSION_COOKIE), now);
        if (!ok) {
          const next = new URL(c.req.url);
          return c.redirect(`/console/login?next=${encodeURIComponent(next.pathname)}`, 303);
        }
        c.set('viewer', { kind: 'session' });
        break;
      }
      case 'disabled':
        return deny(c, 'disabled');
    }
    c.set('csrf', csrfToken(c));
    await next();
  };
}

/** `next` after login: only a console path of this origin, never an absolute or `//` URL. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(?:\/[A-Za-z0-9/_:.-]*)?$/.test(next)
    ? next
    : '/console';
}

export type ConsoleEnv = Env_;
