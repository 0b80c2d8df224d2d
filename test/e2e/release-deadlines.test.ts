import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseHomeostatConfig } from '@homeostat/shared';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { SourceMapUploadError, uploadSourceMaps } from '../../scripts/lib/sourcemap-upload.ts';
import { createRefreshTokenSource } from '../../workers/canary-monitor/src/cws/cws-auth.ts';
import { runRelease } from '../../workers/canary-monitor/src/release/release.ts';
import { createStoreEmulator } from '../emulators/chrome-web-store/store-emulator.ts';
import { extensionZip } from '../emulators/chrome-web-store/zip-writer.ts';

/**
 * The release CLI's calls to Homeostat's own admin APIs have deadlines and carry the admin token
 * only over https: or to a loopback host (issue 11, item 4). In-process: no stack is started.
 */

const EXTENSION = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const DEADLINE_MS = 40;

/** A server that takes the request and never answers: only the caller's signal ends it. */
const hang = (req: Request) =>
  new Promise<Response>((_, reject) => {
    req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true });
  });

function release(canaryUrl: string) {
  const emulator = createStoreEmulator();
  emulator.addItem({ publisherId: 'pub-1', itemId: EXTENSION, published: '1.0.0' });
  emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
  const fetch = (req: Request) => (req.url.startsWith(canaryUrl) ? hang(req) : emulator.fetch(req));
  const config = parseHomeostatConfig({
    version: 1,
    extensions: [
      {
        id: EXTENSION,
        name: 'demo-extension',
        ingestKeys: ['hs_pub_demo_local_key_0001'],
        repo: 'homeostat-demo/demo-extension',
        store: { publisherId: 'pub-1' },
      },
    ],
    repositories: [{ slug: 'homeostat-demo/demo-extension' }],
    canary: { storeApiBaseUrl: emulator.baseUrl, oauthTokenUrl: emulator.tokenUrl },
  });
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    { fetch },
  );
  return {
    emulator,
    run: async () =>
      runRelease(
        {
          config,
          zip: await extensionZip('1.1.0'),
          auth,
          canary: { url: canaryUrl, adminToken: 'admin-token' },
        },
        { fetch, log: () => {}, sleep: async () => {}, registrationTimeoutMs: DEADLINE_MS },
      ),
  };
}

describe('release CLI: rollout registration', () => {
  test('a hung canary-monitor ends the run within the deadline, saying the version is published', async ({
    expect,
  }) => {
    const { emulator, run } = release('https://canary.local.test');
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CanaryError', code: 'registration_failed' });
    expect((err as Error).message).toBe(
      `1.1.0 is published, but canary-monitor did not answer within ${DEADLINE_MS} ms: ` +
        'check GET /api/rollouts and register again if it is missing',
    );
    expect(emulator.item(EXTENSION).channels[0]?.crxVersion).toBe('1.1.0');
  });

  test('an http: canary-monitor URL off loopback is refused before anything is uploaded', async ({
    expect,
  }) => {
    const { emulator, run } = release('http://canary.example.com');
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CanaryError', code: 'release_invalid' });
    expect((err as Error).message).toContain('canary-monitor URL must be https:');
    expect(emulator.calls).toEqual([]);
  });
});

describe('release CLI: source-map upload', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'homeostat-deadline-'));
    await writeFile(path.join(dir, 'popup.js.map'), '{"version":3,"sources":[],"mappings":""}');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plan = () => ({
    extensionId: EXTENSION,
    version: '1.1.0',
    commitSha: null,
    buildDir: 'dist',
    maps: [{ file: 'popup.js.map', mapPath: path.join(dir, 'popup.js.map'), size: 40 }],
  });

  test('a hung triage ends the upload within the deadline', async ({ expect }) => {
    const err = await uploadSourceMaps(
      plan(),
      { url: 'https://triage.local.test', adminToken: 'admin-token' },
      { fetch: hang, log: () => {}, timeoutMs: DEADLINE_MS },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceMapUploadError);
    expect((err as Error).message).toBe(
      `triage did not answer the release registration within ${DEADLINE_MS} ms ` +
        '(every step is idempotent: run again)',
    );
  });

  test.for([
    ['http://triage.example.com', false],
    ['http://127.0.0.1:8788', true],
  ] as const)('triage at %s is called: %s', async ([url, allowed], { expect }) => {
    const seen: string[] = [];
    const err = await uploadSourceMaps(
      plan(),
      { url, adminToken: 'admin-token' },
      {
        fetch: async (req) => {
          seen.push(new URL(req.url).origin);
          return new Response('{}', { status: 500 });
        },
        log: () => {},
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceMapUploadError);
    expect(seen).toEqual(allowed ? [url] : []);
  });
});
