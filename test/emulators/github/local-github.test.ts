import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startLocalGitHub } from './local-github.ts';

// The closed loop's GitHub over real HTTP (issue 10, item 7): a stand-in for triage receives the
// signed webhooks on its own port and acts through the emulator's HTTP API as triage would — on
// a red check it pushes a fix to the pull request's branch, on a green one it merges with the
// head SHA pinned. Real tests decide, run by the local CI.

const SLUG = 'octo-org/sum';
const TOKEN = 'ghp_local';
const SECRET = 'loop-secret';
let fixture: string;

beforeAll(async () => {
  fixture = await mkdtemp(join(tmpdir(), 'homeostat-loop-fixture-'));
  await mkdir(join(fixture, 'test'));
  await writeFile(
    join(fixture, 'package.json'),
    JSON.stringify({ type: 'module', scripts: { test: 'node --test' } }),
  );
  await writeFile(join(fixture, 'sum.js'), 'export const sum = (a, b) => a - b;\n');
  await writeFile(
    join(fixture, 'test', 'sum.test.js'),
    "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { sum } from '../sum.js';\ntest('sum', () => assert.equal(sum(2, 2), 4));\n",
  );
});

afterAll(async () => {
  await rm(fixture, { recursive: true, force: true });
});

describe('the local GitHub of the loop', () => {
  test('webhooks reach a receiver that fixes and merges through the HTTP API', async ({
    expect,
  }) => {
    const github = await startLocalGitHub({ token: TOKEN, repos: { [SLUG]: fixture } });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${github.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
      return res.status === 204 ? null : res.json();
    };
    const seen: string[] = [];
    let badSignatures = 0;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const mac = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
        if (req.headers['x-hub-signature-256'] !== mac) {
          badSignatures++;
          res.writeHead(401).end();
          return;
        }
        const event = String(req.headers['x-github-event']);
        const p = JSON.parse(raw.toString('utf8'));
        seen.push(p.action === undefined ? event : `${event}.${p.action}`);
        if (event === 'check_run' && p.action === 'completed') {
          const run = p.check_run;
          const pr = run.pull_requests[0];
          if (pr !== undefined && run.conclusion === 'failure') {
            const head = await api('GET', `/repos/${SLUG}/git/commits/${run.head_sha}`);
            const tree = await api('POST', `/repos/${SLUG}/git/trees`, {
              base_tree: head.tree.sha,
              tree: [
                {
                  path: 'sum.js',
                  mode: '100644',
                  type: 'blob',
                  content: 'export const sum = (a, b) => a + b;\n',
                },
              ],
            });
            const commit = await api('POST', `/repos/${SLUG}/git/commits`, {
              message: `Retry with: ${run.output.title}`,
              tree: tree.sha,
              parents: [run.head_sha],
            });
            await api('PATCH', `/repos/${SLUG}/git/refs/heads/${pr.head.ref}`, { sha: commit.sha });
          } else if (pr !== undefined && run.conclusion === 'success') {
            await api('PUT', `/repos/${SLUG}/pulls/${pr.number}/merge`, { sha: run.head_sha });
          }
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const sender = github.deliverTo(`http://127.0.0.1:${port}/github/webhook`, SECRET);
      const base = github.repos[SLUG] ?? '';
      // A first, wrong attempt (it changes nothing that matters) opens the pull request.
      const head = await api('GET', `/repos/${SLUG}/git/commits/${base}`);
      const tree = await api('POST', `/repos/${SLUG}/git/trees`, {
        base_tree: head.tree.sha,
        tree: [{ path: 'NOTES.md', mode: '100644', type: 'blob', content: 'attempt 1\n' }],
      });
      const commit = await api('POST', `/repos/${SLUG}/git/commits`, {
        message: 'Attempt 1',
        tree: tree.sha,
        parents: [base],
      });
      await api('POST', `/repos/${SLUG}/git/refs`, { ref: 'refs/heads/fix', sha: commit.sha });
      const pr = await api('POST', `/repos/${SLUG}/pulls`, {
        title: 'Fix',
        head: 'fix',
        base: 'main',
      });
      await github.settle();
      expect(github.ci?.runs.map((r) => r.conclusion)).toEqual(['failure', 'success']);
      expect(github.emulator.pull(SLUG, pr.number)).toMatchObject({
        merged: true,
        state: 'closed',
      });
      expect(seen).toContain('pull_request.synchronize');
      expect(seen.filter((s) => s === 'pull_request.closed')).toHaveLength(1);
      expect(seen.filter((s) => s === 'workflow_run.completed')).toHaveLength(2);
      expect(badSignatures).toBe(0);
      expect(sender.deliveries.every((d) => d.ok)).toBe(true);
      const main = await api('GET', `/repos/${SLUG}/contents/sum.js?ref=main`);
      expect(Buffer.from(main.content, 'base64').toString('utf8')).toContain('a + b');
    } finally {
      await new Promise<void>((done) => receiver.close(() => done()));
      await github.close();
    }
  });
});
