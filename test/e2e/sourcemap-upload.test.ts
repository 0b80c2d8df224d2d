import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { LocalStack } from '../../scripts/lib/local-stack.ts';
import {
  planSourceMapUpload,
  SourceMapUploadError,
  uploadSourceMaps,
} from '../../scripts/lib/sourcemap-upload.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import { buildSourceMapFixture } from '../fixtures/sourcemaps/build-fixture.ts';

/**
 * The release CLI's source-map step (issue 9 item 2) against the real `npm start` stack: the
 * maps land in triage's local R2 bucket and D1 index, and survive a restart of the stack.
 */

// Quiet wrangler's missing-secret warnings: read when wrangler loads, hence the late import.
process.env.WRANGLER_LOG ??= 'error';
const { startLocalStack } = await import('../../scripts/lib/local-stack.ts');

const run = promisify(execFile);
const EXTENSION = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf'; // demo-extension in homeostat.config.json
const ADMIN = 'e2e-sourcemap-admin-token';

let work: string;
let state: string;
let dist: string;
let stack: LocalStack | undefined;

function start(): Promise<LocalStack> {
  return startLocalStack({
    configFile: path.join(REPO_ROOT, 'homeostat.config.json'),
    persistTo: state,
    host: '127.0.0.1',
    ports: { ingest: 0, triage: 0, 'canary-monitor': 0 },
    vars: { triage: { ADMIN_TOKEN: ADMIN } },
  });
}

/** A git repository holding a real minified build with its maps in ext/dist. */
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'homeostat-maps-'));
  state = path.join(work, 'state');
  const repo = path.join(work, 'repo');
  dist = path.join(repo, 'ext/dist');
  const fixture = await buildSourceMapFixture();
  for (const b of fixture.bundles) {
    await mkdir(path.dirname(path.join(dist, b.file)), { recursive: true });
    await writeFile(path.join(dist, b.file), b.code);
    await writeFile(path.join(dist, `${b.file}.map`), b.map);
  }
  await writeFile(path.join(repo, 'README.md'), 'fixture\n');
  const git = (...args: string[]) =>
    run('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
  await git('init', '-q');
  await git('add', 'README.md');
  await git('commit', '-q', '-m', 'fixture');
  stack = await start();
});

afterAll(async () => {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

async function rows() {
  const db = await stack?.miniflare.getD1Database('DB', 'homeostat-triage');
  const maps = await db
    ?.prepare('SELECT file, r2_key, size FROM fix_source_maps WHERE extension_id = ? ORDER BY file')
    .bind(EXTENSION)
    .all<{ file: string; r2_key: string; size: number }>();
  const releases = await db
    ?.prepare('SELECT version, commit_sha, build_dir FROM fix_releases WHERE extension_id = ?')
    .bind(EXTENSION)
    .all();
  return { maps: maps?.results ?? [], releases: releases?.results ?? [] };
}

describe('release CLI: source maps', () => {
  test('registers the release from git and uploads every map, idempotently', async ({ expect }) => {
    const triage = { url: stack?.urls.triage ?? '', adminToken: ADMIN };
    const plan = await planSourceMapUpload({ dir: dist, extensionId: EXTENSION, version: '1.4.0' });
    const head = (await run('git', ['-C', dist, 'rev-parse', 'HEAD'])).stdout.trim();
    expect(plan).toMatchObject({ commitSha: head, buildDir: 'ext/dist' });
    expect(plan.maps.map((m) => m.file)).toEqual(['/bg/worker.js', '/popup.js']);

    const log: string[] = [];
    const deps = { fetch: (r: Request) => fetch(r), log: (l: string) => log.push(l) };
    const first = await uploadSourceMaps(plan, triage, deps);
    expect(first.release).toBe('created');
    expect(first.maps.map((m) => [m.file, m.outcome])).toEqual([
      ['/bg/worker.js', 'created'],
      ['/popup.js', 'created'],
    ]);
    const again = await uploadSourceMaps(plan, triage, deps);
    expect([again.release, ...again.maps.map((m) => m.outcome)]).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    await expect(uploadSourceMaps(plan, { ...triage, adminToken: 'wrong' }, deps)).rejects.toThrow(
      /HTTP 401, unauthorized/,
    );

    const { maps, releases } = await rows();
    expect(releases).toEqual([{ version: '1.4.0', commit_sha: head, build_dir: 'ext/dist' }]);
    const bucket = await stack?.miniflare.getR2Bucket('SOURCE_MAPS', 'homeostat-triage');
    for (const m of maps) expect((await bucket?.head(m.r2_key))?.size).toBe(m.size);
  });

  test('`npm run release -- --no-store` needs no store credentials; the maps survive a restart', async ({
    expect,
  }) => {
    const { stdout } = await run(
      'npm',
      [
        'run',
        '--silent',
        'release',
        '--',
        '--no-store',
        '--sourcemaps',
        dist,
        '--version',
        '1.5.0',
        '--extension',
        'demo-extension',
        '--commit',
        'b'.repeat(40),
      ],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          HOMEOSTAT_TRIAGE_URL: stack?.urls.triage ?? '',
          HOMEOSTAT_ADMIN_TOKEN: ADMIN,
          CWS_SERVICE_ACCOUNT_KEY: '',
          CWS_CLIENT_ID: '',
        },
      },
    );
    const result = /release: result (.*)/.exec(stdout)?.[1];
    expect(JSON.parse(result ?? 'null')).toMatchObject({
      sourceMaps: { release: 'created', commitSha: 'b'.repeat(40), buildDir: 'ext/dist' },
    });

    const before = await rows();
    await stack?.stop();
    stack = await start();
    const after = await rows();
    expect(after).toEqual(before);
    expect(after.maps.length).toBe(4);
    const bucket = await stack.miniflare.getR2Bucket('SOURCE_MAPS', 'homeostat-triage');
    for (const m of after.maps) expect((await bucket.head(m.r2_key))?.size).toBe(m.size);
  });

  test('outside a git repository the build directory must be given', async ({ expect }) => {
    const loose = path.join(work, 'loose');
    await mkdir(loose, { recursive: true });
    await writeFile(path.join(loose, 'a.js.map'), '{}');
    await expect(
      planSourceMapUpload({ dir: loose, extensionId: EXTENSION, version: '1.0.0' }),
    ).rejects.toThrow(SourceMapUploadError);
    const plan = await planSourceMapUpload({
      dir: loose,
      extensionId: EXTENSION,
      version: '1.0.0',
      buildDir: 'dist',
    });
    expect(plan).toMatchObject({ commitSha: null, buildDir: 'dist', maps: [{ file: '/a.js' }] });
  });
});
