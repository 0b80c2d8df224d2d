import { env } from 'cloudflare:workers';
import { describe, inject, test } from 'vitest';
import type { SourceMapFixture } from '../../../../test/fixtures/sourcemaps/fixture.types.ts';
import {
  createR2FrameMapper,
  createSourceMapCache,
  type FrameToMap,
} from '../../src/fix/sourcemap/frame-mapper.ts';
import { sha256Hex } from '../../src/fix/sourcemap/sha256.ts';
import {
  registerRelease,
  sourceMapKey,
  storeSourceMap,
} from '../../src/fix/sourcemap/sourcemap-store.ts';
import { EXT_A } from '../support/config.ts';

/**
 * The frame mapper (issue 9 item 2) against a real minified build and the maps esbuild wrote
 * for it (test/fixtures/sourcemaps, built on the Node side), stored in the local R2 and D1.
 */

const fixture: SourceMapFixture = inject('sourceMapFixture');
const NOW = Date.parse('2026-11-21T10:00:00.000Z');

function bundle(file: string) {
  const b = fixture.bundles.find((x) => x.file === file);
  if (b === undefined) throw new Error(`the fixture build has no ${file}`);
  return b;
}

function source(path: string): string {
  const text = fixture.sources[path];
  if (text === undefined) throw new Error(`the fixture has no source ${path}`);
  return text;
}

const SRC = fixture.buildDir.replace(/\/dist$/, '/src');

/** 1-based line and column of the first `token` in `text`, as V8 and the mapper count. */
function positionOf(text: string, token: string, after = 0) {
  const index = text.indexOf(token, after);
  if (index < 0) throw new Error(`token ${token} not found`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

let versionSeq = 0;
function freshVersion(): string {
  versionSeq++;
  return `5.${versionSeq}.${Math.floor(Math.random() * 60_000)}`;
}

async function put(version: string, file: string, map: string) {
  const bytes = new TextEncoder().encode(map);
  return storeSourceMap(
    env.SOURCE_MAPS,
    env.DB,
    { extensionId: EXT_A, version, file, bytes, sha256: await sha256Hex(bytes) },
    NOW,
  );
}

/** A release of the fixture build with both bundles' maps uploaded. */
async function release(options: { buildDir?: string } = {}) {
  const version = freshVersion();
  await registerRelease(
    env.DB,
    {
      extensionId: EXT_A,
      version,
      commitSha: null,
      buildDir: options.buildDir ?? fixture.buildDir,
    },
    NOW,
  );
  for (const b of fixture.bundles) await put(version, b.file, b.map);
  return version;
}

function frame(version: string, file: string, code: string, token: string): FrameToMap {
  return { extensionId: EXT_A, version, packagePath: file, ...positionOf(code, token) };
}

describe('createR2FrameMapper', () => {
  test('maps a minified frame to the original file, line, column and name', async ({ expect }) => {
    const version = await release();
    const mapper = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const popup = bundle('/popup.js');
    const format = source(`${SRC}/lib/format.ts`);

    // The TypeError of the seeded bug: `n.toFixed(0)` with n undefined.
    expect(await mapper.map(frame(version, '/popup.js', popup.code, 'toFixed'))).toEqual({
      ok: true,
      path: `${SRC}/lib/format.ts`,
      ...positionOf(format, 'toFixed'),
      function: null,
    });
    // The caller's frame: the minified call `t(n,"tabs")` is `formatCount(count, 'tabs')`.
    const call = /([A-Za-z_$][\w$]*)\([\w$]+,"tabs"\)/.exec(popup.code);
    expect(call?.[1]).not.toBe('formatCount');
    expect(await mapper.map(frame(version, '/popup.js', popup.code, call?.[0] ?? ''))).toEqual({
      ok: true,
      path: `${SRC}/popup.ts`,
      ...positionOf(source(`${SRC}/popup.ts`), "formatCount(count, 'tabs')"),
      function: 'formatCount',
    });
  });

  test('resolves sources against a nested bundle’s own directory', async ({ expect }) => {
    const version = await release();
    const mapper = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const worker = bundle('/bg/worker.js');
    const call = /([A-Za-z_$][\w$]*)\(Number\.NaN/.exec(worker.code);
    expect(await mapper.map(frame(version, '/bg/worker.js', worker.code, call?.[0] ?? ''))).toEqual(
      {
        ok: true,
        path: `${SRC}/background.ts`,
        ...positionOf(source(`${SRC}/background.ts`), 'formatCount(Number.NaN'),
        function: 'formatCount',
      },
    );
    // A frame URL with redundant segments names the same bundle.
    const same = await mapper.map({
      ...frame(version, '/bg/worker.js', worker.code, call?.[0] ?? ''),
      packagePath: '/bg/./worker.js',
    });
    expect(same).toMatchObject({ ok: true, path: `${SRC}/background.ts` });
  });

  test('a frame without a column maps to its line’s first mapping and claims no column', async ({
    expect,
  }) => {
    const version = await release();
    const mapper = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const result = await mapper.map({
      extensionId: EXT_A,
      version,
      packagePath: '/popup.js',
      line: 1,
      column: null,
    });
    expect(result).toMatchObject({ ok: true, column: null });
    expect(result.ok && result.path.startsWith(`${SRC}/`)).toBe(true);
  });

  test('no map for the version or the bundle is no_map', async ({ expect }) => {
    const version = await release();
    const mapper = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const base = { extensionId: EXT_A, version, packagePath: '/popup.js', line: 1, column: 40 };
    expect(await mapper.map({ ...base, version: '9.9.9.9' })).toEqual({
      ok: false,
      reason: 'no_map',
    });
    expect(await mapper.map({ ...base, packagePath: '/content.js' })).toEqual({
      ok: false,
      reason: 'no_map',
    });
    expect(await mapper.map({ ...base, extensionId: 'p'.repeat(32) })).toEqual({
      ok: false,
      reason: 'no_map',
    });
    expect(await mapper.map({ ...base, packagePath: '/../popup.js' })).toEqual({
      ok: false,
      reason: 'no_map',
    });
    // The row is there but the object is gone.
    const row = await env.DB.prepare(
      'SELECT r2_key FROM fix_source_maps WHERE extension_id = ? AND version = ? AND file = ?',
    )
      .bind(EXT_A, version, '/popup.js')
      .first<{ r2_key: string }>();
    await env.SOURCE_MAPS.delete(row?.r2_key ?? '');
    expect(await mapper.map(base)).toEqual({ ok: false, reason: 'no_map' });
  });

  test('positions the map does not cover, and sources outside the repository, are no_mapping', async ({
    expect,
  }) => {
    const version = await release();
    const mapper = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const base = { extensionId: EXT_A, version, packagePath: '/popup.js', line: 1, column: 40 };
    for (const position of [
      { line: 50, column: 1 },
      { line: 0, column: 1 },
      { line: 1, column: 0 },
      { line: 1.5, column: 3 },
    ]) {
      expect([position, await mapper.map({ ...base, ...position })]).toEqual([
        position,
        { ok: false, reason: 'no_mapping' },
      ]);
    }
    // A map whose sources climb out of the repository from a build directory at its root.
    const escaping = await release({ buildDir: '' });
    expect(await mapper.map({ ...base, version: escaping })).toEqual({
      ok: false,
      reason: 'no_mapping',
    });
    const hostile = freshVersion();
    await registerRelease(
      env.DB,
      { extensionId: EXT_A, version: hostile, commitSha: null, buildDir: 'dist' },
      NOW,
    );
    const popup = JSON.parse(bundle('/popup.js').map) as { sources: string[] };
    await put(
      hostile,
      '/popup.js',
      JSON.stringify({ ...popup, sources: popup.sources.map(() => 'file:///etc/passwd') }),
    );
    expect(await mapper.map({ ...base, version: hostile })).toEqual({
      ok: false,
      reason: 'no_mapping',
    });
  });

  test('a corrupt, changed or oversized map is map_invalid, never an exception', async ({
    expect,
  }) => {
    const mapper = () =>
      createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: createSourceMapCache() });
    const base = { extensionId: EXT_A, packagePath: '/popup.js', line: 1, column: 40 };

    // Bytes changed in storage after the upload checked them.
    const changed = await release();
    const stored = await put(changed, '/popup.js', bundle('/popup.js').map);
    // A valid map, but not the one that was uploaded and checked.
    await env.SOURCE_MAPS.put(stored.sourceMap.r2Key, bundle('/bg/worker.js').map);
    expect(await mapper().map({ ...base, version: changed })).toEqual({
      ok: false,
      reason: 'map_invalid',
    });

    // A row whose object matches its digest but is no source map (written around the route).
    const corrupt = freshVersion();
    await registerRelease(
      env.DB,
      { extensionId: EXT_A, version: corrupt, commitSha: null, buildDir: 'dist' },
      NOW,
    );
    for (const garbage of [
      'not json at all',
      '{"version":3,"sources":["a.ts"],"mappings":"AKAA"}',
    ]) {
      const bytes = new TextEncoder().encode(garbage);
      const sha = await sha256Hex(bytes);
      const key = sourceMapKey(EXT_A, corrupt, sha);
      await env.SOURCE_MAPS.put(key, bytes);
      await env.DB.prepare(
        `INSERT OR REPLACE INTO fix_source_maps (extension_id, version, file, r2_key, sha256, size, uploaded_at)
         VALUES (?, ?, '/popup.js', ?, ?, ?, ?)`,
      )
        .bind(EXT_A, corrupt, key, sha, bytes.byteLength, NOW)
        .run();
      expect([garbage, await mapper().map({ ...base, version: corrupt })]).toEqual([
        garbage,
        { ok: false, reason: 'map_invalid' },
      ]);
    }

    // Over the mapper's size cap: refused without being read.
    const big = await release();
    const small = createR2FrameMapper(env.SOURCE_MAPS, env.DB, {
      cache: createSourceMapCache(),
      maxMapBytes: 64,
    });
    expect(await small.map({ ...base, version: big })).toEqual({
      ok: false,
      reason: 'map_invalid',
    });
  });

  test('parsed maps are cached by digest and each map is read once for concurrent frames', async ({
    expect,
  }) => {
    const version = await release();
    const gets: string[] = [];
    // The real bucket, with its reads counted.
    const counted = {
      get: (key: string) => {
        gets.push(key);
        return env.SOURCE_MAPS.get(key);
      },
    } as unknown as R2Bucket;
    const cache = createSourceMapCache({ maxEntries: 4, maxBytes: 1 << 20 });
    const popup = bundle('/popup.js');
    const frames = ['toFixed', 'document.title', '"tabs"', 'addEventListener'].map((t) =>
      frame(version, '/popup.js', popup.code, t),
    );
    const first = createR2FrameMapper(counted, env.DB, { cache });
    const results = await Promise.all(frames.map((f) => first.map(f)));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(gets).toHaveLength(1);
    expect(cache.size).toBe(1);

    // Another mapper of the isolate finds it parsed; the object is not read again.
    await env.SOURCE_MAPS.delete(gets[0] ?? '');
    const second = createR2FrameMapper(counted, env.DB, { cache });
    expect(await second.map(frames[0] as FrameToMap)).toEqual(results[0]);
    expect(gets).toHaveLength(1);

    // The cache is bounded: a one-entry cache keeps only the last map.
    const tiny = createSourceMapCache({ maxEntries: 1, maxBytes: 1 << 20 });
    const other = await release();
    const third = createR2FrameMapper(env.SOURCE_MAPS, env.DB, { cache: tiny });
    await third.map({ ...(frames[0] as FrameToMap), version: other });
    const worker = bundle('/bg/worker.js');
    await third.map(frame(other, '/bg/worker.js', worker.code, 'toFixed'));
    expect(tiny.size).toBe(1);
  });
});
