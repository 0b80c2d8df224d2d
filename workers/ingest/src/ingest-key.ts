import type { ExtensionConfig, HomeostatConfig } from '@homeostat/shared';
import type { Context } from 'hono';
import { IngestError } from './ingest-error.ts';

export type KeyIndex = ReadonlyMap<string, ExtensionConfig>;

export function indexIngestKeys(config: HomeostatConfig): KeyIndex {
  const index = new Map<string, ExtensionConfig>();
  for (const ext of config.extensions) for (const key of ext.ingestKeys) index.set(key, ext);
  return index;
}

const EXTENSION_ORIGIN = /^chrome-extension:\/\/([a-p]{32})$/;

/**
 * The ingest key names one registered extension. It ships inside the extension, so it is an
 * identifier rather than a secret (docs/architecture.md#trust-boundaries); the `?key=` form exists
 * for `sendBeacon`, which cannot set headers. The optional allow-list filters honest browsers by
 * `Origin`; it is not a defence against a forged header, rate limits are.
 */
export function authenticate(c: Context, keys: KeyIndex): ExtensionConfig {
  const key = c.req.header('x-homeostat-key') ?? c.req.query('key');
  const extension = key === undefined ? undefined : keys.get(key);
  if (extension === undefined) throw new IngestError('unknown_key', 'unknown ingest key');
  checkAllowedOrigin(c, extension);
  return extension;
}

/** The extension's optional `Origin` allow-list, for every door that takes its ingest keys. */
export function checkAllowedOrigin(c: Context, extension: ExtensionConfig): void {
  if (extension.allowedOrigins === undefined) return;
  const id = EXTENSION_ORIGIN.exec(c.req.header('origin') ?? '')?.[1];
  if (id === undefined || !extension.allowedOrigins.includes(id)) {
    throw new IngestError('origin_not_allowed', 'origin is not allowed for this ingest key');
  }
}
