import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import {
  type EventsRequestInput,
  type HomeostatConfig,
  type HomeostatConfigInput,
  type IngestEventInput,
  parseHomeostatConfig,
} from '@homeostat/shared';
import { createIngestApp } from '../src/app.ts';
import { ensureDeltaCapableLimiter } from './rate-limit-binding.ts';

// The vitest pool's Miniflare predates the Rate Limiting binding's `delta` (rate-limit-binding.ts).
await ensureDeltaCapableLimiter();

export const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
export const KEY = 'hs_pub_test_key_0000000001';

/** A config for tests; `limits` and `extension` override the single test extension's fields. */
export function testConfig(
  extension: Partial<HomeostatConfigInput['extensions'][number]> = {},
): HomeostatConfig {
  return parseHomeostatConfig({
    version: 1,
    extensions: [
      {
        id: EXTENSION_ID,
        name: 'test-extension',
        ingestKeys: [KEY],
        repo: 'acme/test-extension',
        ...extension,
      },
    ],
    repositories: [{ slug: 'acme/test-extension' }],
  });
}

let counter = 0;
/** Unique ids per call: storage is shared by the tests of one file. */
export function uid(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A fresh Chrome-style extension id, so tests of per-extension limits do not share buckets. */
export function randomExtensionId(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => 'abcdefghijklmnop'[b % 16],
  ).join('');
}

export function makeEvent(overrides: Partial<IngestEventInput> = {}): IngestEventInput {
  return {
    eventId: uid('evt'),
    timestamp: Date.now(),
    surface: 'background',
    sessionId: uid('ses'),
    error: {
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'tabs')",
      stack: [
        "TypeError: Cannot read properties of undefined (reading 'tabs')",
        `    at syncTabs (chrome-extension://${EXTENSION_ID}/background.js:42:17)`,
        `    at async onAlarm (chrome-extension://${EXTENSION_ID}/background.js:88:5)`,
      ].join('\n'),
    },
    ...overrides,
  };
}

export function makeBody(
  events: IngestEventInput[],
  install = uid('install'),
  version = '1.2.0',
): EventsRequestInput {
  return {
    sdk: { name: 'homeostat-extension-sdk', version: '0.1.0' },
    extension: { id: EXTENSION_ID, version },
    install: { id: install },
    events,
  };
}

export function createApp(config: HomeostatConfig = testConfig()) {
  const app = createIngestApp(config);
  return {
    post(
      path: string,
      body: unknown,
      init: { headers?: Record<string, string>; key?: string | null } = {},
    ) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...init.headers,
      };
      const key = init.key === undefined ? KEY : init.key;
      if (key !== null) headers['x-homeostat-key'] = key;
      return app.request(path, { method: 'POST', headers, body: JSON.stringify(body) }, env);
    },
    request: (path: string, init: RequestInit, bindings: Env = env) =>
      app.request(path, init, bindings),
  };
}

export function fingerprintStub(fingerprint: string) {
  return env.FINGERPRINTS.getByName(`${EXTENSION_ID}:${fingerprint}`);
}

/**
 * Runs the flush alarm of the given fingerprints' objects, then the release-health object's (the
 * fingerprints hand it their errors when they flush).
 */
export async function flush(
  fingerprints: Iterable<string>,
  extensionId: string = EXTENSION_ID,
): Promise<void> {
  for (const fp of new Set(fingerprints)) {
    await runDurableObjectAlarm(env.FINGERPRINTS.getByName(`${extensionId}:${fp}`));
  }
  await runDurableObjectAlarm(env.RELEASE_HEALTH.getByName(`release-health:${extensionId}`));
}
