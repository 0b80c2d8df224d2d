import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type HomeostatConfig, parseHomeostatConfig } from '@homeostat/shared';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import { createRefreshTokenSource } from '../../workers/canary-monitor/src/cws/cws-auth.ts';
import { runRelease } from '../../workers/canary-monitor/src/release/release.ts';
import { createStoreEmulator } from '../emulators/chrome-web-store/store-emulator.ts';
import { extensionZip } from '../emulators/chrome-web-store/zip-writer.ts';

/** The release CLI (issue 6 item 6) against the store emulator. */
const EXTENSION = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const CANARY_URL = 'https://canary.local.test';

function configFor(store: { baseUrl: string; tokenUrl: string }): HomeostatConfig {
  return parseHomeostatConfig({
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
    canary: { storeApiBaseUrl: store.baseUrl, oauthTokenUrl: store.tokenUrl },
  });
}

function setup(users7d = 50_000) {
  const emulator = createStoreEmulator();
  emulator.addItem({ publisherId: 'pub-1', itemId: EXTENSION, published: '1.0.0', users7d });
  emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
  const registrations: { authorization: string | null; body: unknown }[] = [];
  const fetch = async (req: Request) => {
    if (req.url.startsWith(CANARY_URL)) {
      registrations.push({
        authorization: req.headers.get('authorization'),
        body: await req.json(),
      });
      return Response.json(
        { rollout: { id: 7, state: 'PREFLIGHT', mode: 'live' } },
        { status: 201 },
      );
    }
    return emulator.fetch(req);
  };
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    { fetch },
  );
  const log: string[] = [];
  const deps = { fetch, log: (l: string) => log.push(l), sleep: async () => {} };
  return { emulator, registrations, auth, deps, log, config: configFor(emulator) };
}

describe('release CLI', () => {
  test('uploads, publishes at the first stage and registers the rollout', async ({ expect }) => {
    const s = setup();
    const result = await runRelease(
      {
        config: s.config,
        zip: await extensionZip('1.1.0', { deflate: true }),
        auth: s.auth,
        canary: { url: CANARY_URL, adminToken: 'admin-token' },
      },
      s.deps,
    );
    expect(result).toEqual({
      extensionId: EXTENSION,
      version: '1.1.0',
      baselineVersion: '1.0.0',
      publishState: 'PUBLISHED',
      deployPercentage: 5,
      rolloutId: 7,
      dryRun: false,
    });
    expect(s.emulator.item(EXTENSION).channels).toEqual([
      { crxVersion: '1.1.0', deployPercentage: 5 },
      { crxVersion: '1.0.0', deployPercentage: 100 },
    ]);
    const publish = s.emulator.calls.find((c) => c.method === 'publish');
    expect(publish?.body).toEqual({
      publishType: 'DEFAULT_PUBLISH',
      deployInfos: [{ deployPercentage: 5 }],
    });
    expect(s.registrations).toEqual([
      {
        authorization: 'Bearer admin-token',
        body: { extensionId: EXTENSION, version: '1.1.0', baselineVersion: '1.0.0' },
      },
    ]);
  });

  test('refuses a version that is not above the published one, before uploading', async ({
    expect,
  }) => {
    const s = setup();
    await expect(
      runRelease({ config: s.config, zip: await extensionZip('1.0.0'), auth: s.auth }, s.deps),
    ).rejects.toMatchObject({ name: 'CanaryError', code: 'release_invalid' });
    expect(s.emulator.mutations()).toEqual([]);
  });

  test('an item under 10,000 users gets a clear message instead of a partial rollout', async ({
    expect,
  }) => {
    const s = setup(5_000);
    await expect(
      runRelease({ config: s.config, zip: await extensionZip('1.1.0'), auth: s.auth }, s.deps),
    ).rejects.toThrow(/fewer than 10,000 seven-day users/);
    const ok = await runRelease(
      { config: s.config, zip: await extensionZip('1.1.0'), auth: s.auth, percentage: 100 },
      s.deps,
    );
    expect(ok.publishState).toBe('PUBLISHED');
  });

  test('dry run changes nothing', async ({ expect }) => {
    const s = setup();
    const result = await runRelease(
      { config: s.config, zip: await extensionZip('1.1.0'), auth: s.auth, dryRun: true },
      s.deps,
    );
    expect(result.dryRun).toBe(true);
    expect(s.emulator.mutations()).toEqual([]);
  });
});

describe('release CLI as a process', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  const emulatorBox: { current: ReturnType<typeof createStoreEmulator> | null } = { current: null };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'homeostat-release-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const emulator = emulatorBox.current;
        if (emulator === null) return res.writeHead(503).end();
        const request = new Request(`${origin}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers: Object.entries(req.headers).flatMap(([k, v]) =>
            typeof v === 'string' ? [[k, v] as [string, string]] : [],
          ),
          ...(req.method === 'GET' ? {} : { body: Buffer.concat(chunks) }),
        });
        void emulator.fetch(request).then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  test('`npm run release` uploads and publishes through the real store client', async ({
    expect,
  }) => {
    const tokenUrl = `${origin}/token`;
    const emulator = createStoreEmulator({ baseUrl: origin, tokenUrl });
    emulator.addItem({ publisherId: 'pub-1', itemId: EXTENSION, published: '1.0.0' });
    emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
    emulatorBox.current = emulator;
    const configFile = path.join(dir, 'homeostat.config.json');
    const raw = configFor({ baseUrl: origin, tokenUrl });
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        extensions: raw.extensions,
        repositories: raw.repositories,
        canary: { storeApiBaseUrl: origin, oauthTokenUrl: tokenUrl },
      }),
    );
    const zipFile = path.join(dir, 'dist.zip');
    await writeFile(zipFile, await extensionZip('1.2.0', { deflate: true }));
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'release', '--', '--zip', zipFile, '--config', configFile],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: {
          ...process.env,
          CWS_CLIENT_ID: 'client-1',
          CWS_CLIENT_SECRET: 'secret-1',
          CWS_REFRESH_TOKEN: 'refresh-1',
          HOMEOSTAT_CANARY_URL: '',
        },
      },
    );
    const line = /release: result (\{.*\})/.exec(stdout)?.[1];
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      version: '1.2.0',
      deployPercentage: 5,
      publishState: 'PUBLISHED',
      rolloutId: null,
    });
    expect(emulator.item(EXTENSION).channels[0]).toEqual({
      crxVersion: '1.2.0',
      deployPercentage: 5,
    });
    expect(stdout).not.toContain('secret-1');
  });
});
