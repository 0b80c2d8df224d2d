import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { addDirectoryRepo, readDirectoryFiles, writeCommitTree } from './directory-repo.ts';
import { GitHubEmulator } from './github-emulator.ts';
import { startGitHubServer } from './github-server.ts';
import { buildGitHubOpenApiIndex } from './openapi-index.ts';
import { OpenApiValidator, type Violation, validatingFetch } from './openapi-validator.ts';

// A real directory served as a repository (issue 9, item 1; issue 10, item 7): the SHAs must be
// git's own, checked against the git binary, and the HTTP server must answer as the in-process
// handler does.

const SLUG = 'octo-org/widget';
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);
let dir: string;
let out: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeostat-dirrepo-'));
  out = await mkdtemp(join(tmpdir(), 'homeostat-dirrepo-out-'));
  await mkdir(join(dir, 'src', 'lib'), { recursive: true });
  await mkdir(join(dir, 'node_modules', 'dep'), { recursive: true });
  await mkdir(join(dir, '.wrangler', 'state'), { recursive: true });
  await writeFile(join(dir, 'README.md'), '# widget\n');
  await writeFile(join(dir, 'src', 'a.js'), 'export const a = 1;\n');
  await writeFile(join(dir, 'src', 'lib', 'b.js'), 'export const b = 2;\n');
  // A file named like a directory's prefix: git sorts 'src.js' before the tree 'src/'.
  await writeFile(join(dir, 'src.js'), 'export {};\n');
  await writeFile(join(dir, 'icon.png'), BINARY);
  await writeFile(join(dir, 'build.sh'), '#!/bin/sh\necho built\n');
  await chmod(join(dir, 'build.sh'), 0o755);
  await symlink('src/a.js', join(dir, 'link.js'));
  await writeFile(join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  await writeFile(join(dir, '.wrangler', 'state', 'db'), 'x');
  await writeFile(join(dir, '.gitignore'), 'node_modules/\n.wrangler/\n');
  git('init', '--quiet');
  git('add', '--all');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

describe('a directory as an emulator repository', () => {
  test('reads every file but node_modules, .git and .wrangler, bytes and modes kept', async ({
    expect,
  }) => {
    const { files, modes } = await readDirectoryFiles(dir);
    expect(Object.keys(files).sort()).toEqual([
      '.gitignore',
      'README.md',
      'build.sh',
      'icon.png',
      'link.js',
      'src.js',
      'src/a.js',
      'src/lib/b.js',
    ]);
    expect(files['icon.png']).toEqual(BINARY);
    expect(modes).toEqual({ 'build.sh': '100755', 'link.js': '120000' });
  });

  test('tree and blob SHAs are the ones git computes', async ({ expect }) => {
    const emulator = new GitHubEmulator();
    const { sha, files } = await addDirectoryRepo(emulator, SLUG, dir);
    expect(files).toBe(8);
    const store = emulator.git(SLUG);
    const commit = store.commits.get(sha);
    // `git write-tree` hashes the index, which `git add --all` filled from the same directory.
    expect(commit?.tree).toBe(git('write-tree'));
    const flat = store.flatten(commit?.tree ?? '');
    expect(flat.get('src/a.js')?.sha).toBe(git('hash-object', 'src/a.js'));
    expect(flat.get('icon.png')?.sha).toBe(git('hash-object', 'icon.png'));
    expect(flat.get('build.sh')?.mode).toBe('100755');
    expect(store.refs.get('refs/heads/main')).toBe(sha);
  });

  test('a commit written back to disk is the same tree, executable bit and link included', async ({
    expect,
  }) => {
    const emulator = new GitHubEmulator();
    const { sha } = await addDirectoryRepo(emulator, SLUG, dir);
    expect(await writeCommitTree(emulator, SLUG, sha, out)).toBe(8);
    expect(new Uint8Array(await readFile(join(out, 'icon.png')))).toEqual(BINARY);
    expect(await readFile(join(out, 'src', 'lib', 'b.js'), 'utf8')).toBe('export const b = 2;\n');
    expect((await stat(join(out, 'build.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(out, 'src', 'a.js'))).mode & 0o111).toBe(0);
    expect(await readFile(join(out, 'link.js'), 'utf8')).toBe('export const a = 1;\n');
    const again = await readDirectoryFiles(out);
    const original = await readDirectoryFiles(dir);
    expect(again).toEqual(original);
  });

  test('served over HTTP on 127.0.0.1, with the answers of the in-process handler', async ({
    expect,
  }) => {
    const server = await startGitHubServer({ token: 't0ken' });
    try {
      const { sha } = await addDirectoryRepo(server.emulator, SLUG, dir);
      const violations: Violation[] = [];
      const validated = validatingFetch(
        server.emulator.fetch,
        new OpenApiValidator(await buildGitHubOpenApiIndex()),
        server.url,
        violations,
      );
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const auth = { authorization: 'Bearer t0ken' };
      const paths = [
        `/repos/${SLUG}/git/trees/${sha}?recursive=1`,
        `/repos/${SLUG}/contents/icon.png?ref=${sha}`,
        `/repos/${SLUG}/git/ref/heads/main`,
      ];
      for (const path of paths) {
        const overHttp = await fetch(`${server.url}${path}`, { headers: auth });
        const inProcess = await validated(new Request(`${server.url}${path}`, { headers: auth }));
        expect(overHttp.status).toBe(200);
        expect(await overHttp.json()).toEqual(await inProcess.json());
      }
      const tree = await (
        await fetch(`${server.url}/repos/${SLUG}/git/trees/${sha}?recursive=1`, { headers: auth })
      ).json();
      // URLs in answers point back at the server, so a client can follow them.
      expect(tree.url).toBe(`${server.url}/repos/${SLUG}/git/trees/${tree.sha}`);
      const png = await (
        await fetch(`${server.url}/repos/${SLUG}/contents/icon.png`, { headers: auth })
      ).json();
      expect(Uint8Array.from(Buffer.from(png.content, 'base64'))).toEqual(BINARY);
      // A write over HTTP: the body crosses node:http intact.
      const blob = await fetch(`${server.url}/repos/${SLUG}/git/blobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hello\n' }),
      });
      expect(blob.status).toBe(201);
      expect((await blob.json()).sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
      expect((await fetch(`${server.url}/repos/${SLUG}`)).status).toBe(401);
      expect(violations).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
