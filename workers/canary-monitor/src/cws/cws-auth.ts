import { OUTBOUND_TIMEOUT_MS } from '@homeostat/shared';
import { z } from 'zod';
import { CanaryError } from '../canary-error.ts';
import { TokenResponseSchema } from './cws.schema.ts';
import { classifyStoreFailure } from './cws-errors.ts';

/**
 * Access tokens for the Chrome Web Store API (research/canary.md §1.1): an OAuth client with a
 * refresh token, or a service account that signs its own RS256 JWT with WebCrypto (v2; it avoids
 * the 7-day refresh tokens of an OAuth app left in "Testing" and deleted idle OAuth clients).
 * Tokens are cached until 60 s before they expire.
 */
export interface AccessTokenSource {
  token(): Promise<string>;
  /** Drops the cached token, e.g. after the API answered 401 to it. */
  invalidate(): void;
}

export type FetchFn = (request: Request) => Promise<Response>;

/** Mutations need the full scope; read-only calls would accept `…/chromewebstore.readonly`. */
export const CWS_SCOPE = 'https://www.googleapis.com/auth/chromewebstore';
const EXPIRY_MARGIN_MS = 60_000;

interface CachingOptions {
  fetch: FetchFn;
  now?: () => number;
  /** Deadline of one token request; default OUTBOUND_TIMEOUT_MS.oauthToken. */
  timeoutMs?: number;
}

function cachingSource(
  fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>,
  now: () => number,
): AccessTokenSource {
  let cached: { token: string; until: number } | undefined;
  return {
    async token() {
      if (cached !== undefined && now() < cached.until) return cached.token;
      const fresh = await fetchToken();
      cached = {
        token: fresh.token,
        until: now() + fresh.expiresInSeconds * 1000 - EXPIRY_MARGIN_MS,
      };
      return fresh.token;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

async function postToken(
  options: CachingOptions,
  tokenUrl: string,
  form: Record<string, string>,
): Promise<{ token: string; expiresInSeconds: number }> {
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS.oauthToken;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await options.fetch(
      new Request(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        signal,
      }),
    );
    text = await res.text();
  } catch (err) {
    throw new CanaryError(
      'store_transient',
      signal.aborted
        ? `no answer from the token endpoint within ${timeoutMs} ms`
        : 'token endpoint unreachable',
      { cause: err },
    );
  }
  if (!res.ok) throw classifyStoreFailure(res.status, text, 'token request');
  const parsed = TokenResponseSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new CanaryError('store_invalid_response', 'token endpoint answered an unexpected shape', {
      upstreamStatus: res.status,
    });
  }
  return { token: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface RefreshTokenCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** `grant_type=refresh_token`, form-encoded, as Google's own guide shows (§1.1). */
export function createRefreshTokenSource(
  tokenUrl: string,
  credentials: RefreshTokenCredentials,
  options: CachingOptions,
): AccessTokenSource {
  return cachingSource(
    () =>
      postToken(options, tokenUrl, {
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        refresh_token: credentials.refreshToken,
        grant_type: 'refresh_token',
      }),
    options.now ?? Date.now,
  );
}

/** The fields of a Google service-account key file that signing needs. */
export const ServiceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(3).max(320),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKeySchema>;

/** Parses `CWS_SERVICE_ACCOUNT_KEY`; the message never quotes the key. */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  const parsed = ServiceAccountKeySchema.safeParse(safeJson(json));
  if (!parsed.success) {
    throw new CanaryError(
      'store_credentials_invalid',
      'CWS_SERVICE_ACCOUNT_KEY is not a service-account key file (JSON with client_email and private_key)',
    );
  }
  return parsed.data;
}

const b64url = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const b64urlJson = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A signed RS256 JWT assertion for Google's `jwt-bearer` grant (RFC 7523). */
export async function signServiceAccountJwt(
  key: ServiceAccountKey,
  audience: string,
  nowMs: number,
): Promise<string> {
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey(
      'pkcs8',
      pemToDer(key.private_key),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  } catch (err) {
    throw new CanaryError(
      'store_credentials_invalid',
      'service-account private key is not a PKCS#8 RSA key',
      {
        cause: err,
      },
    );
  }
  const iat = Math.floor(nowMs / 1000);
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    ...(key.private_key_id ? { kid: key.private_key_id } : {}),
  };
  const claims = { iss: key.client_email, scope: CWS_SCOPE, aud: audience, iat, exp: iat + 3600 };
  const input = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${b64url(new Uint8Array(signature))}`;
}

export function createServiceAccountSource(
  tokenUrl: string,
  key: ServiceAccountKey,
  options: CachingOptions,
): AccessTokenSource {
  const now = options.now ?? Date.now;
  return cachingSource(async () => {
    const assertion = await signServiceAccountJwt(key, tokenUrl, now());
    return postToken(options, tokenUrl, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    });
  }, now);
}
