import { SignJWT } from 'jose';
import { z } from 'zod';
import { TriageError } from '../errors.ts';
import type { GitHubCredentials } from './github-auth.ts';
import { type FetchLike, GitHubClient, parseGitHub } from './github-client.ts';

/**
 * Triage as a GitHub App installation (issue 12, section 3): an RS256 JWT signed with the App's
 * private key (the `GITHUB_APP_PRIVATE_KEY` secret) buys an installation token at
 * `POST /app/installations/{installation_id}/access_tokens`; the token lasts an hour
 * (docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/
 * authenticating-as-a-github-app-installation).
 *
 * Not @octokit/auth-app: in workerd it cannot read the PKCS#1 keys GitHub hands out (its
 * universal-github-app-jwt converts them only under the `node` export condition, through
 * node:crypto), it keeps tokens 59 minutes from when they were fetched by `Date.now` rather than
 * by `expires_at` and the injected clock, and it answers a 401 on a fresh token with real sleeps.
 * Signing is jose's (already triage's JWT library, WebCrypto underneath); the exchange goes
 * through GitHubClient, so it gets the same timeouts, rate-limit handling and typed errors as
 * every other GitHub call.
 */

export interface GitHubAppInstallation {
  appId: number;
  installationId: number;
}

export interface AppInstallationOptions extends GitHubAppInstallation {
  /** `github.apiBaseUrl`: GHES serves the same endpoint below `/api/v3`. */
  baseUrl: string;
  /** The App's private key, PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`, as GitHub downloads it) or PKCS#8. */
  privateKey: string;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A token is renewed this long before GitHub's `expires_at`, so no request carries a dying one. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/**
 * `iat` 60 s in the past against clock drift, `exp` 9 minutes ahead: GitHub refuses an `exp`
 * more than 10 minutes ahead of its own clock, and ours may run a little fast.
 */
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 9 * 60;
/** A 4096-bit RSA key is about 3.3 KB of PEM; anything far larger is not a key. */
const MAX_PEM_CHARS = 16_384;

const InstallationTokenSchema = z.object({
  token: z.string().min(1).max(1_000),
  expires_at: z.iso.datetime({ offset: true }),
});

function keyError(internal: string): TriageError {
  return new TriageError('github_app_auth_failed', 'The GitHub App private key is not usable', {
    internal: `GITHUB_APP_PRIVATE_KEY: ${internal}`,
  });
}

/** DER length octets (X.690 8.1.3): short form below 128, else 0x80|n and n big-endian bytes. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

/** AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL } (RFC 8017 A.1). */
const RSA_ALGORITHM_IDENTIFIER = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/**
 * A PKCS#1 RSAPrivateKey wrapped as the PKCS#8 PrivateKeyInfo WebCrypto imports (RFC 5208 5:
 * version 0, the rsaEncryption algorithm, the PKCS#1 DER as an OCTET STRING). Only the
 * wrapping: WebCrypto parses and checks the key itself.
 */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  const octetString = [0x04, ...derLength(pkcs1.length)];
  const bodyLength = 3 + RSA_ALGORITHM_IDENTIFIER.length + octetString.length + pkcs1.length;
  const head = [0x30, ...derLength(bodyLength), 0x02, 0x01, 0x00, ...RSA_ALGORITHM_IDENTIFIER];
  const out = new Uint8Array(head.length + octetString.length + pkcs1.length);
  out.set(head, 0);
  out.set(octetString, head.length);
  out.set(pkcs1, head.length + octetString.length);
  return out;
}

/**
 * The PEM's key as PKCS#8 DER. Accepts the `\n` escapes a key pasted into a one-line field ends
 * up with. Reasons name the format only, never any of the key.
 */
export function privateKeyDer(pem: string): Uint8Array<ArrayBuffer> {
  if (pem.length > MAX_PEM_CHARS) throw keyError('longer than any RSA private key PEM');
  const text = pem.replace(/\\n/g, '\n').trim();
  const m = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\s]+?)\r?\n?-----END \1-----$/.exec(
    text,
  );
  const label = m?.[1];
  const body = m?.[2];
  if (label === undefined || body === undefined) throw keyError('not a PEM block');
  if (label !== 'RSA PRIVATE KEY' && label !== 'PRIVATE KEY') {
    throw keyError(`a ${label}; expected RSA PRIVATE KEY (PKCS#1) or PRIVATE KEY (PKCS#8)`);
  }
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(body.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  } catch {
    throw keyError('the PEM body is not base64');
  }
  return label === 'RSA PRIVATE KEY' ? pkcs1ToPkcs8(der) : der;
}

export async function importAppPrivateKey(pem: string): Promise<CryptoKey> {
  const der = privateKeyDer(pem);
  try {
    return await crypto.subtle.importKey(
      'pkcs8',
      der,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  } catch {
    throw keyError('not an RSA private key WebCrypto can import');
  }
}

/** The App's JWT (RS256; `iss` the App id, as a string like go-github's ghinstallation sends). */
export async function signAppJwt(key: CryptoKey, appId: number, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000) - JWT_BACKDATE_S;
  try {
    return await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(String(appId))
      .setIssuedAt(iat)
      .setExpirationTime(iat + JWT_BACKDATE_S + JWT_LIFETIME_S)
      .sign(key);
  } catch {
    // jose refuses RSA keys under 2048 bits for RS256; GitHub issues 2048-bit keys.
    throw keyError('not usable for RS256 (at least 2048 bits)');
  }
}

interface CachedToken {
  header: string;
  /** Epoch ms after which the token is renewed: `expires_at` less TOKEN_REFRESH_MARGIN_MS. */
  refreshAt: number;
}

/**
 * Installation tokens of this isolate, by base URL, App, installation and key (a new key is a new
 * identity; a changed secret arrives with a new Worker version anyway). Module scope, so every
 * request and queue batch the isolate serves shares one token for its hour, and concurrent
 * callers share one mint.
 */
const tokens = new Map<string, CachedToken>();
const minting = new Map<string, Promise<CachedToken>>();

/**
 * Credentials of a GitHub App installation: the cached installation token while it has more than
 * TOKEN_REFRESH_MARGIN_MS left, else a new one. `invalidate` (a 401 on a cached token: revoked,
 * or the key rotated) drops it so the client's one retry mints afresh.
 */
export function appInstallationCredentials(options: AppInstallationOptions): GitHubCredentials {
  const now = options.now ?? Date.now;
  const cacheKey = JSON.stringify([
    options.baseUrl.replace(/\/$/, ''),
    options.appId,
    options.installationId,
    options.privateKey,
  ]);

  const mint = async (): Promise<CachedToken> => {
    const key = await importAppPrivateKey(options.privateKey);
    const jwt = await signAppJwt(key, options.appId, now());
    const appClient = new GitHubClient({
      baseUrl: options.baseUrl,
      credentials: { kind: 'app', authorization: async () => `Bearer ${jwt}` },
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      now,
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
    const path = `/app/installations/${encodeURIComponent(String(options.installationId))}/access_tokens`;
    let res: Awaited<ReturnType<GitHubClient['send']>>;
    try {
      // Idempotent in effect: a second token for the same installation harms nothing.
      res = await appClient.send({ method: 'POST', path, idempotent: true });
    } catch (err) {
      // 401: the key or the App id is wrong (or the JWT's times); 404: no such installation of
      // this App; 403/422: suspended or refused. None heals by retrying.
      if (err instanceof TriageError && err.code === 'github_rejected') {
        throw new TriageError(
          'github_app_auth_failed',
          'GitHub refused the GitHub App credentials',
          {
            ...(err.upstreamStatus === undefined ? {} : { upstreamStatus: err.upstreamStatus }),
            internal: `app ${options.appId}, installation ${options.installationId}: ${err.internal ?? err.message}`,
          },
        );
      }
      throw err;
    }
    const body = parseGitHub(InstallationTokenSchema, res, 'installation access token');
    return {
      header: `Bearer ${body.token}`,
      refreshAt: Date.parse(body.expires_at) - TOKEN_REFRESH_MARGIN_MS,
    };
  };

  return {
    kind: 'app-installation',
    async authorization() {
      const cached = tokens.get(cacheKey);
      if (cached !== undefined && now() < cached.refreshAt) return cached.header;
      let pending = minting.get(cacheKey);
      if (pending === undefined) {
        pending = mint()
          .then((fresh) => {
            tokens.set(cacheKey, fresh);
            return fresh;
          })
          .finally(() => minting.delete(cacheKey));
        minting.set(cacheKey, pending);
      }
      // A token whose renewal time has already come (our clock ahead of GitHub's) still serves
      // the request it was minted for.
      return (await pending).header;
    },
    invalidate(rejected) {
      if (tokens.get(cacheKey)?.header === rejected) tokens.delete(cacheKey);
    },
  };
}
