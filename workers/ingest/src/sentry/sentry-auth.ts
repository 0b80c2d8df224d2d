import type { ExtensionConfig } from '@homeostat/shared';
import type { Context } from 'hono';
import { IngestError } from '../ingest-error.ts';
import { checkAllowedOrigin, type KeyIndex } from '../ingest-key.ts';

/**
 * Sentry's DSN auth (develop.sentry.dev/sdk/overview/#authentication), as Relay reads it: the
 * public key in `X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7, …` (or `Authorization`
 * with the same value), in `?sentry_key=` (what the browser SDK uses, as it sends no custom
 * header to spare a CORS preflight), or in the envelope header's `dsn` (an SDK behind a
 * `tunnel`). The public key is one of the extension's ingest keys: identifiers, not secrets.
 */

/** The project id in the URL: Sentry's SDKs refuse a DSN whose project id is not all digits. */
export function projectIdOf(c: Context): string {
  const id = c.req.param('projectId') ?? '';
  if (!/^\d{1,20}$/.test(id)) {
    throw new IngestError('invalid_request', 'bad project path parameter');
  }
  return id;
}

function headerKey(value: string | undefined): string | undefined {
  if (value === undefined || !/^sentry\s/i.test(value.trim())) return undefined;
  for (const pair of value.trim().slice(6).split(',')) {
    const [name, ...rest] = pair.split('=');
    if (name?.trim() === 'sentry_key') return rest.join('=').trim();
  }
  return undefined;
}

/** The key the request's headers or query name, or undefined when they name none. */
export function requestKey(c: Context): string | undefined {
  const fromHeader =
    headerKey(c.req.header('x-sentry-auth')) ?? headerKey(c.req.header('authorization'));
  const fromQuery = c.req.query('sentry_key');
  if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery) {
    throw new IngestError('unknown_key', 'multiple authorization payloads detected');
  }
  return fromHeader ?? fromQuery;
}

/** The public key and project id of a DSN (`https://<key>@host/<project id>`). */
export function dsnKey(dsn: string | undefined): { key: string; projectId: string } | undefined {
  if (dsn === undefined) return undefined;
  try {
    const url = new URL(dsn);
    const projectId = url.pathname.split('/').at(-1) ?? '';
    return url.username ? { key: decodeURIComponent(url.username), projectId } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The extension the key names, checked against the URL's project id when the extension sets
 * `sentryProjectId` (without it the key alone names the extension, and any project id does) and
 * against its `Origin` allow-list, as `/v1/*` checks it.
 */
export function sentryExtension(
  c: Context,
  keys: KeyIndex,
  key: string | undefined,
  projectId: string,
): ExtensionConfig {
  if (key === undefined) {
    throw new IngestError('unknown_key', 'missing authorization information');
  }
  const extension = keys.get(key);
  if (extension === undefined) throw new IngestError('unknown_key', 'unknown ingest key');
  if (extension.sentryProjectId !== undefined && String(extension.sentryProjectId) !== projectId) {
    throw new IngestError('unknown_key', 'the key does not belong to this project');
  }
  checkAllowedOrigin(c, extension);
  return extension;
}
