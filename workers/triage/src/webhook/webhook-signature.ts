/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw request body under the
 * webhook secret (docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries). It is
 * checked over the exact bytes received, before any parsing, with `crypto.subtle.verify`, which
 * compares in constant time (docs/api.md#post-githubwebhook).
 */
const HEADER = /^sha256=([0-9a-f]{64})$/i;

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function verifyGitHubSignature(
  secret: string,
  body: ArrayBuffer,
  header: string | null | undefined,
): Promise<boolean> {
  const match = HEADER.exec(header?.trim() ?? '');
  const hex = match?.[1];
  if (hex === undefined) return false;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return crypto.subtle.verify('HMAC', key, hexToBytes(hex), body);
}

/** The header value GitHub would send for `body`; used by tests and tooling. */
export async function signGitHubPayload(
  secret: string,
  body: string | ArrayBuffer,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
