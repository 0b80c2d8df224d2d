/**
 * GitHub Apps as the emulator serves them (issue 12, section 3): an App authenticates with an
 * RS256 JWT signed by its private key and exchanges it at
 * `POST /app/installations/{installation_id}/access_tokens` for an installation token that
 * expires after an hour and reaches only the installation's repositories. The checks follow
 * docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/
 * generating-a-json-web-token-jwt-for-a-github-app: `alg` RS256, `iss` the App's id, `iat` not in
 * the future, `exp` in the future and at most 10 minutes ahead; the messages are GitHub's (the
 * time ones are those @octokit/auth-app matches to detect clock skew). Web APIs only: runs in
 * workerd and Node.
 */

export interface AppRegistration {
  appId: number;
  /** The App's public key: a WebCrypto RS256 verify key or an SPKI PEM (`BEGIN PUBLIC KEY`). */
  publicKey: CryptoKey | string;
  installationId: number;
  /** `owner/name` slugs the installation was given; its tokens reach nothing else. */
  repos: readonly string[];
}

interface App {
  appId: number;
  key: CryptoKey;
  installationId: number;
  repos: ReadonlySet<string>;
}

interface IssuedToken {
  installationId: number;
  expiresAt: number;
  revoked: boolean;
}

const DOCS = 'https://docs.github.com/rest';
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const TOKEN_TTL_MS = 60 * 60 * 1000;
const MAX_JWT_LIFETIME_S = 10 * 60;
const INSTALLATION_PATH = /^\/app\/installations\/([^/]+)\/access_tokens$/;

/** The installation token path's id, or null when `path` is not the exchange. */
export function accessTokensInstallation(method: string, path: string): string | null {
  if (method !== 'POST') return null;
  return INSTALLATION_PATH.exec(path)?.[1] ?? null;
}

function unauthorized(message: string): Response {
  return Response.json(
    { message, documentation_url: DOCS, status: '401' },
    { status: 401, headers: { 'content-type': 'application/json; charset=utf-8' } },
  );
}

function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  try {
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function base64UrlJson(text: string): Record<string, unknown> | null {
  const bytes = base64UrlBytes(text);
  if (bytes === null) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

async function importPublicKey(key: CryptoKey | string): Promise<CryptoKey> {
  if (typeof key !== 'string') return key;
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(key);
  if (m?.[1] === undefined) throw new Error('addApp: publicKey is not an SPKI PEM');
  const der = Uint8Array.from(atob(m[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey('spki', der, ALGORITHM, false, ['verify']);
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(27));
  return `ghs_${btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, 'x')}`;
}

export class GitHubApps {
  readonly #now: () => number;
  readonly #apps = new Map<number, App>();
  readonly #tokens = new Map<string, IssuedToken>();
  /** Exchanges answered 201, for assertions. */
  issued = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  get any(): boolean {
    return this.#apps.size > 0;
  }

  async add(registration: AppRegistration): Promise<void> {
    this.#apps.set(registration.appId, {
      appId: registration.appId,
      key: await importPublicKey(registration.publicKey),
      installationId: registration.installationId,
      repos: new Set(registration.repos.map((s) => s.toLowerCase())),
    });
  }

  /** Revokes every token of an installation, as `DELETE /installation/token` or a key rotation. */
  revoke(installationId: number): void {
    for (const t of this.#tokens.values()) {
      if (t.installationId === installationId) t.revoked = true;
    }
  }

  /**
   * What an `Authorization` header's installation token may reach: the set of repository slugs,
   * or null when it is not a live installation token (unknown, expired or revoked).
   */
  scope(authorization: string): ReadonlySet<string> | null {
    const m = /^(?:Bearer|token) (\S+)$/i.exec(authorization);
    const issued = m?.[1] === undefined ? undefined : this.#tokens.get(m[1]);
    if (issued === undefined || issued.revoked || this.#now() >= issued.expiresAt) return null;
    for (const app of this.#apps.values()) {
      if (app.installationId === issued.installationId) return app.repos;
    }
    return null;
  }

  /** `POST /app/installations/{installation_id}/access_tokens`, authenticated by the App's JWT. */
  async exchange(authorization: string | null, installationParam: string): Promise<Response> {
    const jwt = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (jwt === undefined) {
      return unauthorized('A JSON web token could not be decoded');
    }
    const app = await this.#verify(jwt);
    if (app instanceof Response) return app;
    if (String(app.installationId) !== installationParam) {
      return Response.json(
        { message: 'Not Found', documentation_url: DOCS, status: '404' },
        { status: 404 },
      );
    }
    const token = randomToken();
    const expiresAt = Math.floor((this.#now() + TOKEN_TTL_MS) / 1000) * 1000;
    this.#tokens.set(token, { installationId: app.installationId, expiresAt, revoked: false });
    this.issued++;
    return Response.json(
      {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: {
          issues: 'write',
          pull_requests: 'write',
          contents: 'write',
          checks: 'read',
          metadata: 'read',
        },
        repository_selection: 'selected',
      },
      { status: 201 },
    );
  }

  async #verify(jwt: string): Promise<App | Response> {
    const parts = jwt.split('.');
    const [h = '', p = '', s = ''] = parts;
    const header = base64UrlJson(h);
    const payload = base64UrlJson(p);
    const signature = base64UrlBytes(s);
    if (parts.length !== 3 || header === null || payload === null || signature === null) {
      return unauthorized('A JSON web token could not be decoded');
    }
    const iss = typeof payload.iss === 'string' ? Number(payload.iss) : payload.iss;
    const app = typeof iss === 'number' ? this.#apps.get(iss) : undefined;
    if (header.alg !== 'RS256' || app === undefined) {
      return unauthorized('A JSON web token could not be decoded');
    }
    const signed = new TextEncoder().encode(`${h}.${p}`);
    if (!(await crypto.subtle.verify(ALGORITHM, app.key, signature, signed))) {
      return unauthorized('A JSON web token could not be decoded');
    }
    const now = Math.floor(this.#now() / 1000);
    const { iat, exp } = payload;
    if (!Number.isInteger(iat) || (iat as number) > now) {
      return unauthorized(
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      );
    }
    if (!Number.isInteger(exp) || (exp as number) <= now) {
      return unauthorized(
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      );
    }
    if ((exp as number) > now + MAX_JWT_LIFETIME_S) {
      return unauthorized("'Expiration time' claim ('exp') is too far in the future");
    }
    return app;
  }
}
