import { describe, inject, test } from 'vitest';
import { createGitHubTestbed } from '../../../../test/emulators/github/github-testbed.ts';
import { TriageError } from '../../src/errors.ts';
import { createRepoReaderCache, openSnapshot } from '../../src/fix/source/repo-reader.ts';
import { tokenCredentials } from '../../src/github/github-auth.ts';
import { type FetchLike, GitHubClient } from '../../src/github/github-client.ts';
import { createRepoReaderClient } from '../../src/github/repo-reader-client.ts';
import { createClock } from '../support/clock.ts';
import { testConfig } from '../support/config.ts';
import { GITHUB_TOKEN, githubTestbed } from '../support/github.ts';

const REPO = 'octo-org/notes-extension';
const FILES = {
  'manifest.json': '{"manifest_version":3}\n',
  'src/background.ts': 'export function start(): void {\n  console.log("up");\n}\n',
  'src/popup/render.ts': 'export const render = (s: string) => s.trim();\n',
  'src/vendor/lib.js': 'var x = 1;\n',
};

async function setup(
  options: { files?: Record<string, string | Uint8Array>; maxTreeEntries?: number } = {},
) {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now });
  if (options.maxTreeEntries !== undefined) {
    // githubTestbed has no such option: a separate bed with the same token and validation.
    Object.assign(
      bed,
      createGitHubTestbed(inject('githubOpenApi'), {
        token: GITHUB_TOKEN,
        now: clock.now,
        maxTreeEntries: options.maxTreeEntries,
      }),
    );
  }
  await bed.emulator.addRepo(REPO, { files: options.files ?? FILES });
  const clientFetch: FetchLike = (input, init) => bed.fetch(new Request(input, init));
  const client = new GitHubClient({
    baseUrl: bed.baseUrl,
    credentials: tokenCredentials(GITHUB_TOKEN),
    fetch: clientFetch,
    now: clock.now,
    sleep: clock.sleep,
  });
  const cache = createRepoReaderCache();
  const requested = (re: RegExp) => bed.emulator.requests.filter((r) => re.test(r.path)).length;
  return { ...bed, client, cache, requested };
}

const TREES = /\/git\/trees\//;
const BLOBS = /\/git\/blobs\//;

describe('repository reader', () => {
  test('lists the default branch head and reads files as text with their blob SHA', async ({
    expect,
  }) => {
    const { client, cache, emulator, violations } = await setup();
    const snap = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(snap.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(snap.paths()).toEqual([
      'manifest.json',
      'src/background.ts',
      'src/popup/render.ts',
      'src/vendor/lib.js',
    ]);
    const read = await snap.read('src/popup/render.ts');
    expect(read).toMatchObject({
      ok: true,
      file: { path: 'src/popup/render.ts', content: FILES['src/popup/render.ts'] },
    });
    // `./` and doubled slashes name the same file.
    const again = await snap.read('./src//popup/render.ts');
    expect(again.ok && again.file.blobSha).toBe(read.ok && read.file.blobSha);
    expect(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /repos/${REPO}/git/ref/heads/main 200`,
      `GET /repos/${REPO}/git/trees/${snap.commitSha} 200`,
      `GET /repos/${REPO}/git/blobs/${read.ok ? read.file.blobSha : ''} 200`,
    ]);
    expect(violations).toEqual([]);
  });

  test('without a branch it asks the repository for its default branch', async ({ expect }) => {
    const { client, cache, emulator, violations } = await setup();
    const snap = await openSnapshot(client, { repo: REPO }, { cache });
    expect(snap.paths()).toContain('src/background.ts');
    expect(emulator.requests[0]).toMatchObject({ method: 'GET', path: `/repos/${REPO}` });
    expect(violations).toEqual([]);
  });

  test('caches trees by commit and blobs by SHA: a second snapshot costs one ref request', async ({
    expect,
  }) => {
    const { client, cache, requested, violations } = await setup();
    const first = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    await first.read('src/background.ts');
    const second = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(second.commitSha).toBe(first.commitSha);
    const read = await second.read('src/background.ts');
    expect(read.ok).toBe(true);
    expect(requested(TREES)).toBe(1);
    expect(requested(BLOBS)).toBe(1);

    // A new commit changes one file: a new tree, and only the changed file's blob is fetched.
    const changed = await client.send({
      method: 'POST',
      path: `/repos/${REPO}/git/trees`,
      body: {
        base_tree: await treeShaOf(client, first.commitSha),
        tree: [{ path: 'src/popup/render.ts', mode: '100644', type: 'blob', content: 'x\n' }],
      },
      idempotent: false,
    });
    await commitAndMove(client, (changed.data as { sha: string }).sha, first.commitSha);
    const third = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(third.commitSha).not.toBe(first.commitSha);
    expect(await third.read('src/background.ts')).toMatchObject({ ok: true });
    expect(await third.read('src/popup/render.ts')).toMatchObject({
      ok: true,
      file: { content: 'x\n' },
    });
    expect(requested(TREES)).toBe(2);
    expect(requested(BLOBS)).toBe(2);
    expect(violations).toEqual([]);
  });

  test('concurrent reads of one file send one blob request', async ({ expect }) => {
    const { client, cache, requested } = await setup();
    const snap = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    const reads = await Promise.all([1, 2, 3].map(() => snap.read('src/background.ts')));
    expect(reads.every((r) => r.ok)).toBe(true);
    expect(requested(BLOBS)).toBe(1);
  });

  test('each failure is a typed outcome, decided before fetching where it can be', async ({
    expect,
  }) => {
    const big = `// ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const nul = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x00, 0x01, 0x02]);
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café" in Latin-1: not UTF-8
    const { client, cache, requested, violations } = await setup({
      files: {
        ...FILES,
        'src/big.js': big,
        'src/icon.png': nul,
        'src/legacy.js': latin1,
      },
    });
    const snap = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(await snap.read('src/big.js')).toEqual({ ok: false, reason: 'too_large' });
    // The listed size decided: the 2 MB blob was never downloaded.
    expect(requested(BLOBS)).toBe(0);
    expect(await snap.read('src/icon.png')).toEqual({ ok: false, reason: 'binary' });
    expect(await snap.read('src/legacy.js')).toEqual({ ok: false, reason: 'binary' });
    expect(await snap.read('src/missing.ts')).toEqual({ ok: false, reason: 'not_found' });
    expect(await snap.read('src/popup')).toEqual({ ok: false, reason: 'not_a_file' });
    const blobsBefore = requested(BLOBS);
    for (const outside of [
      '../secrets.txt',
      'src/../../etc/passwd',
      'src/../manifest.json',
      '/etc/passwd',
      'src\\background.ts',
      'src/background.ts\u0000.png',
      '',
    ]) {
      expect(await snap.read(outside)).toEqual({ ok: false, reason: 'outside_repo' });
    }
    expect(requested(BLOBS)).toBe(blobsBefore);
    expect(violations).toEqual([]);
  });

  test('a symlink is not a file, even though GitHub lists it as a blob', async ({ expect }) => {
    const { client, cache, violations } = await setup();
    const head = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    const tree = await client.send({
      method: 'POST',
      path: `/repos/${REPO}/git/trees`,
      body: {
        base_tree: await treeShaOf(client, head.commitSha),
        tree: [{ path: 'src/link.ts', mode: '120000', type: 'blob', content: 'background.ts' }],
      },
      idempotent: false,
    });
    await commitAndMove(client, (tree.data as { sha: string }).sha, head.commitSha);
    const snap = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(await snap.read('src/link.ts')).toEqual({ ok: false, reason: 'not_a_file' });
    expect(snap.paths()).not.toContain('src/link.ts');
    expect(violations).toEqual([]);
  });

  test('a smaller cap applies to the decoded blob when the listing gives no size', async ({
    expect,
  }) => {
    const bed = await setup();
    // A listing without `size` (optional in GitHub's description): only the blob can tell.
    const stripSizes: FetchLike = async (input, init) => {
      const req = new Request(input, init);
      const res = await bed.fetch(req);
      if (!TREES.test(new URL(req.url).pathname)) return res;
      const body = (await res.json()) as { tree: Record<string, unknown>[] };
      for (const e of body.tree) delete e.size;
      return Response.json(body, { status: res.status, headers: res.headers });
    };
    const client = new GitHubClient({
      baseUrl: bed.baseUrl,
      credentials: tokenCredentials(GITHUB_TOKEN),
      fetch: stripSizes,
    });
    const snap = await openSnapshot(
      client,
      { repo: REPO, branch: 'main' },
      { cache: bed.cache, maxFileBytes: 20 },
    );
    expect(await snap.read('src/background.ts')).toEqual({ ok: false, reason: 'too_large' });
    expect(bed.requested(BLOBS)).toBe(1);
    expect(await snap.read('src/vendor/lib.js')).toMatchObject({ ok: true });
  });

  test('a truncated listing is walked one directory at a time; the rest is listed on demand', async ({
    expect,
  }) => {
    const files: Record<string, string> = { 'manifest.json': '{}\n', 'src/a.ts': 'a\n' };
    for (let i = 0; i < 12; i++) files[`node_modules/pkg${i}/index.js`] = `module.exports=${i};\n`;
    const { client, cache, requested, violations } = await setup({ files, maxTreeEntries: 5 });
    const snap = await openSnapshot(client, { repo: REPO, branch: 'main' }, { cache });
    expect(snap.paths()).toEqual(['manifest.json', 'src/a.ts']);
    expect(snap.complete).toBe(false);
    // Root and src/ listed; node_modules/ is left for later.
    expect(requested(TREES)).toBe(3);
    expect(await snap.read('node_modules/pkg7/index.js')).toMatchObject({
      ok: true,
      file: { content: 'module.exports=7;\n' },
    });
    expect(requested(TREES)).toBe(5);
    expect(await snap.read('node_modules/nothing/index.js')).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(violations).toEqual([]);
  });

  test('a missing branch is GitHub rejecting the request, thrown as a TriageError', async ({
    expect,
  }) => {
    const { client, cache } = await setup();
    const err = await openSnapshot(client, { repo: REPO, branch: 'nope' }, { cache }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TriageError);
    expect(err).toMatchObject({ code: 'github_rejected', upstreamStatus: 404 });
  });
});

describe('repository reader client', () => {
  test('without a token it reads anonymously: no Authorization header at all', async ({
    expect,
  }) => {
    // An emulator that requires no token, like GitHub for a public repository.
    const bed = createGitHubTestbed(inject('githubOpenApi'));
    await bed.emulator.addRepo(REPO, { files: FILES });
    const authorizations: (string | null)[] = [];
    const client = createRepoReaderClient({ GITHUB_TOKEN: '' }, testConfig(), {
      fetch: (input, init) => {
        const req = new Request(input, init);
        authorizations.push(req.headers.get('authorization'));
        return bed.fetch(req);
      },
    });
    const snap = await openSnapshot(
      client,
      { repo: REPO, branch: 'main' },
      { cache: createRepoReaderCache() },
    );
    expect(await snap.read('src/background.ts')).toMatchObject({ ok: true });
    expect(authorizations).toEqual([null, null, null]);
    expect(bed.violations).toEqual([]);
  });

  test('with a token it sends it', async ({ expect }) => {
    const bed = githubTestbed();
    await bed.emulator.addRepo(REPO, { files: FILES });
    const client = createRepoReaderClient({ GITHUB_TOKEN }, testConfig(), {
      fetch: bed.clientFetch,
    });
    const snap = await openSnapshot(
      client,
      { repo: REPO, branch: 'main' },
      { cache: createRepoReaderCache() },
    );
    expect(snap.paths()).toHaveLength(4);
    expect(bed.emulator.requests.every((r) => r.status === 200)).toBe(true);
  });
});

async function treeShaOf(client: GitHubClient, commitSha: string): Promise<string> {
  const res = await client.send({
    method: 'GET',
    path: `/repos/${REPO}/git/commits/${commitSha}`,
    idempotent: true,
  });
  return (res.data as { tree: { sha: string } }).tree.sha;
}

async function commitAndMove(client: GitHubClient, tree: string, parent: string): Promise<void> {
  const commit = await client.send({
    method: 'POST',
    path: `/repos/${REPO}/git/commits`,
    body: { message: 'change', tree, parents: [parent] },
    idempotent: false,
  });
  await client.send({
    method: 'PATCH',
    path: `/repos/${REPO}/git/refs/heads/main`,
    body: { sha: (commit.data as { sha: string }).sha },
    idempotent: true,
  });
}
