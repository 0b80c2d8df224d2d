import { env } from 'cloudflare:workers';
import { describe, inject, test } from 'vitest';
import type { SourceMapFixture } from '../../../../test/fixtures/sourcemaps/fixture.types.ts';
import { createTriageApp } from '../../src/app.ts';
import { sha256Hex } from '../../src/fix/sourcemap/sha256.ts';
import { MAX_SOURCE_MAP_BYTES } from '../../src/fix/sourcemap/sourcemap.schema.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, testConfig } from '../support/config.ts';

/** The source-map upload API (issue 9 item 2): PUT /admin/releases/… behind ADMIN_TOKEN. */

const ADMIN = 'admin-token-for-sourcemap-tests';
const SHA = 'a'.repeat(40);
const fixture: SourceMapFixture = inject('sourceMapFixture');
const popup = fixture.bundles.find((b) => b.file === '/popup.js');
if (popup === undefined) throw new Error('the fixture build has no /popup.js');
const POPUP_MAP = popup.map;

let versionSeq = 0;
/** Each test its own release, so that tests never see each other's rows. */
function freshVersion(): string {
  versionSeq++;
  return `3.${versionSeq}.${Math.floor(Math.random() * 60_000)}`;
}

function api(bindings: Partial<Env> = {}) {
  const clock = createClock();
  const app = createTriageApp(testConfig(), { now: clock.now });
  const e: Env = { ...env, ADMIN_TOKEN: ADMIN, ...bindings };
  const put = (
    path: string,
    body: BodyInit | null,
    options: { token?: string | null; type?: string | null } = {},
  ) => {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? ADMIN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const type = options.type === undefined ? 'application/json' : options.type;
    if (type !== null) headers['content-type'] = type;
    return app.request(path, { method: 'PUT', headers, body }, e);
  };
  return {
    clock,
    put,
    register: (version: string, body: unknown = { commitSha: SHA, buildDir: fixture.buildDir }) =>
      put(`/admin/releases/${EXT_A}/${version}`, JSON.stringify(body)),
    upload: (version: string, file: string, map: BodyInit, options = {}) =>
      put(
        `/admin/releases/${EXT_A}/${version}/sourcemaps?file=${encodeURIComponent(file)}`,
        map,
        options,
      ),
  };
}

async function mapRows(version: string) {
  const { results } = await env.DB.prepare(
    'SELECT file, r2_key, sha256, size, uploaded_at FROM fix_source_maps WHERE extension_id = ? AND version = ? ORDER BY file',
  )
    .bind(EXT_A, version)
    .all<{ file: string; r2_key: string; sha256: string; size: number; uploaded_at: number }>();
  return results;
}

async function errorOf(res: Response) {
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as { error: { code: string } } };
}

describe('PUT /admin/releases/:extensionId/:version', () => {
  test('needs the admin bearer token, on both routes', async ({ expect }) => {
    const version = freshVersion();
    const off = api({ ADMIN_TOKEN: '' });
    expect((await off.register(version)).status).toBe(403);
    const on = api();
    for (const token of [null, 'wrong', `${ADMIN}x`]) {
      expect((await on.put(`/admin/releases/${EXT_A}/${version}`, '{}', { token })).status).toBe(
        401,
      );
      expect((await on.upload(version, '/popup.js', POPUP_MAP, { token })).status).toBe(401);
    }
    const row = await env.DB.prepare('SELECT 1 FROM fix_releases WHERE version = ?')
      .bind(version)
      .first();
    expect(row).toBeNull();
  });

  test('registers a release once; the same registration changes nothing; a rebuild updates it', async ({
    expect,
  }) => {
    const version = freshVersion();
    const a = api();
    const first = await a.register(version, { commitSha: SHA.toUpperCase(), buildDir: 'dist/' });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({
      outcome: 'created',
      release: {
        extensionId: EXT_A,
        version,
        commitSha: SHA,
        buildDir: 'dist',
        uploadedAt: a.clock.now(),
      },
      // No merged fix yet: nothing for this release to resolve (fix-resolution.test.ts).
      resolved: [],
    });
    a.clock.advance(60_000);
    const again = await a.register(version, { commitSha: SHA, buildDir: './dist' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      outcome: 'unchanged',
      release: { uploadedAt: a.clock.now() - 60_000 },
    });
    const rebuilt = await a.register(version, { buildDir: 'packages/ext/dist' });
    expect(await rebuilt.json()).toMatchObject({
      outcome: 'updated',
      release: { commitSha: null, buildDir: 'packages/ext/dist', uploadedAt: a.clock.now() },
    });
  });

  test('refuses bad ids, versions, directories and commits with paths and codes only', async ({
    expect,
  }) => {
    const a = api();
    const version = freshVersion();
    const cases: [string, unknown, number, string][] = [
      [`/admin/releases/not-an-id/${version}`, { buildDir: 'dist' }, 400, 'invalid_request'],
      [`/admin/releases/${EXT_A}/1.2.3.4.5`, { buildDir: 'dist' }, 400, 'invalid_request'],
      [`/admin/releases/${EXT_A}/1.70000`, { buildDir: 'dist' }, 400, 'invalid_request'],
      [
        `/admin/releases/${'p'.repeat(32)}/${version}`,
        { buildDir: 'dist' },
        422,
        'unknown_extension',
      ],
      [`/admin/releases/${EXT_A}/${version}`, { buildDir: '../outside' }, 400, 'invalid_request'],
      [`/admin/releases/${EXT_A}/${version}`, { buildDir: '/abs/dist' }, 400, 'invalid_request'],
      [
        `/admin/releases/${EXT_A}/${version}`,
        { commitSha: 'main', buildDir: 'dist' },
        400,
        'invalid_request',
      ],
      [
        `/admin/releases/${EXT_A}/${version}`,
        { buildDir: 'dist', extra: 1 },
        400,
        'invalid_request',
      ],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await errorOf(await a.put(path, JSON.stringify(body)));
      expect([path, body, res.status, res.body.error.code]).toEqual([path, body, status, code]);
      expect(res.text).not.toContain('outside');
    }
    const notJson = await a.put(`/admin/releases/${EXT_A}/${version}`, 'buildDir=dist', {
      type: 'application/x-www-form-urlencoded',
    });
    expect(notJson.status).toBe(415);
    const tooLarge = await a.put(
      `/admin/releases/${EXT_A}/${version}`,
      JSON.stringify({ buildDir: 'd'.repeat(8_000) }),
    );
    expect((await errorOf(tooLarge)).body.error.code).toBe('payload_too_large');
  });
});

describe('PUT /admin/releases/:extensionId/:version/sourcemaps', () => {
  test('stores the map in R2 under its digest, then the D1 row', async ({ expect }) => {
    const version = freshVersion();
    const a = api();
    expect((await a.register(version)).status).toBe(201);
    const res = await a.upload(version, '/popup.js', POPUP_MAP);
    expect(res.status).toBe(201);
    const sha = await sha256Hex(new TextEncoder().encode(POPUP_MAP));
    const key = `maps/${EXT_A}/${version}/${sha}.map`;
    expect(await res.json()).toEqual({
      outcome: 'created',
      sourceMap: {
        extensionId: EXT_A,
        version,
        file: '/popup.js',
        r2Key: key,
        sha256: sha,
        size: new TextEncoder().encode(POPUP_MAP).byteLength,
        uploadedAt: a.clock.now(),
      },
    });
    expect(await (await env.SOURCE_MAPS.get(key))?.text()).toBe(POPUP_MAP);
    expect(await mapRows(version)).toEqual([
      {
        file: '/popup.js',
        r2_key: key,
        sha256: sha,
        size: new TextEncoder().encode(POPUP_MAP).byteLength,
        uploaded_at: a.clock.now(),
      },
    ]);
  });

  test('re-uploading the same map leaves the same row; new content replaces it and its object', async ({
    expect,
  }) => {
    const version = freshVersion();
    const a = api();
    await a.register(version);
    await a.upload(version, '/popup.js', POPUP_MAP);
    const before = await mapRows(version);
    a.clock.advance(3_600_000);
    const again = await a.upload(version, '/./popup.js', POPUP_MAP);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: 'unchanged' });
    expect(await mapRows(version)).toEqual(before);

    const rebuilt = JSON.stringify({ ...JSON.parse(POPUP_MAP), file: 'popup.js' });
    const replaced = await a.upload(version, '/popup.js', rebuilt);
    expect(await replaced.json()).toMatchObject({ outcome: 'updated' });
    const after = await mapRows(version);
    expect(after).toHaveLength(1);
    expect(after[0]?.sha256).toBe(await sha256Hex(new TextEncoder().encode(rebuilt)));
    expect(after[0]?.uploaded_at).toBe(a.clock.now());
    const oldKey = before[0]?.r2_key ?? '';
    expect(await env.SOURCE_MAPS.head(oldKey)).toBeNull();
    expect(await env.SOURCE_MAPS.head(after[0]?.r2_key ?? '')).not.toBeNull();
  });

  test('a map over the cap is refused with 413 before it is parsed or stored', async ({
    expect,
  }) => {
    const version = freshVersion();
    const a = api();
    await a.register(version);
    const huge = `{"version":3,"sources":[],"names":[],"mappings":"${'A'.repeat(MAX_SOURCE_MAP_BYTES)}"}`;
    const res = await errorOf(await a.upload(version, '/popup.js', huge));
    expect([res.status, res.body.error.code]).toEqual([413, 'payload_too_large']);
    // Without a Content-Length the limit is counted while the body streams in.
    const bytes = new TextEncoder().encode(huge);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.byteLength; i += 1 << 20) {
          controller.enqueue(bytes.subarray(i, i + (1 << 20)));
        }
        controller.close();
      },
    });
    const streamed = await errorOf(await a.upload(version, '/popup.js', stream));
    expect([streamed.status, streamed.body.error.code]).toEqual([413, 'payload_too_large']);
    expect(await mapRows(version)).toEqual([]);
  });

  test('an invalid map is a 400 that never echoes it, and nothing is stored', async ({
    expect,
  }) => {
    const version = freshVersion();
    const a = api();
    await a.register(version);
    const SECRET = 'jane.doe@example.com-s3cr3t';
    const valid = JSON.parse(POPUP_MAP) as Record<string, unknown>;
    const bad: [string, BodyInit][] = [
      ['not json', `{"version":3,"sources":["${SECRET}"`],
      ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      ['version 2', JSON.stringify({ ...valid, version: 2, file: SECRET })],
      ['no mappings', JSON.stringify({ version: 3, sources: [SECRET], names: [] })],
      ['not VLQ', JSON.stringify({ ...valid, mappings: `AAAA;${SECRET}` })],
      // One source, but the segment points at source 5 (VLQ 'K' = +5).
      ['source out of range', JSON.stringify({ ...valid, sources: [SECRET], mappings: 'AKAA' })],
      ['name out of range', JSON.stringify({ ...valid, names: [], mappings: 'AAAAK' })],
      [
        'sections',
        JSON.stringify({
          version: 3,
          sections: [{ offset: { line: 0, column: 0 }, map: valid }],
          file: SECRET,
        }),
      ],
      ['sources not strings', JSON.stringify({ ...valid, sources: [{ name: SECRET }] })],
    ];
    for (const [what, body] of bad) {
      const res = await errorOf(await a.upload(version, '/popup.js', body));
      expect([what, res.status, res.body.error.code]).toEqual([what, 400, 'invalid_request']);
      expect(res.text).not.toContain(SECRET);
      expect(res.text).not.toContain('jane');
    }
    expect(await mapRows(version)).toEqual([]);
    const listed = await env.SOURCE_MAPS.list({ prefix: `maps/${EXT_A}/${version}/` });
    expect(listed.objects).toEqual([]);
  });

  test('refuses bad file paths, other media types, unknown extensions and unregistered releases', async ({
    expect,
  }) => {
    const version = freshVersion();
    const a = api();
    const unregistered = await errorOf(await a.upload(version, '/popup.js', POPUP_MAP));
    expect([unregistered.status, unregistered.body]).toEqual([
      400,
      {
        error: {
          code: 'invalid_request',
          message: 'register the release before its source maps',
          issues: [{ path: 'version', code: 'release_not_registered' }],
        },
      },
    ]);
    await a.register(version);
    for (const file of [
      'popup.js',
      '/../popup.js',
      '/a/../../popup.js',
      '/dir/',
      '/a\\b.js',
      '/',
    ]) {
      const res = await errorOf(await a.upload(version, file, POPUP_MAP));
      expect([file, res.status]).toEqual([file, 400]);
      expect(res.text).not.toContain('popup');
    }
    const noFile = await a.put(`/admin/releases/${EXT_A}/${version}/sourcemaps`, POPUP_MAP);
    expect(noFile.status).toBe(400);
    const text = await a.upload(version, '/popup.js', POPUP_MAP, { type: 'text/plain' });
    expect(text.status).toBe(415);
    const other = await a.put(
      `/admin/releases/${'p'.repeat(32)}/${version}/sourcemaps?file=/popup.js`,
      POPUP_MAP,
    );
    expect((await errorOf(other)).body.error.code).toBe('unknown_extension');
    expect(await mapRows(version)).toEqual([]);

    const nested = await a.upload(version, '/bg//./worker.js', POPUP_MAP);
    expect(await nested.json()).toMatchObject({ sourceMap: { file: '/bg/worker.js' } });
  });
});
