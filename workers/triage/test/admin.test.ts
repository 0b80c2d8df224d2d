import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { createTriageApp } from '../src/app.ts';
import { EXT_A, EXT_B, REPO_A, REPO_B, testConfig } from './support/config.ts';
import { freshFingerprint, seedFingerprint } from './support/fingerprints.ts';
import { messageId, triageHarness } from './support/harness.ts';
import { fingerprintMessage } from './support/queue.ts';

const ADMIN = 'admin-token-for-tests';

function admin(bindings: Partial<Env> = {}) {
  const app = createTriageApp(testConfig());
  const e: Env = { ...env, ADMIN_TOKEN: ADMIN, ...bindings };
  return (path: string, token: string | null = ADMIN) =>
    app.request(path, token === null ? {} : { headers: { authorization: `Bearer ${token}` } }, e);
}

interface RunLine {
  runId: string;
  repo: string;
  mode: string;
  messages: number;
  issuesCreated: number;
  issuesUpdated: number;
  cooldowns: number;
  optOuts: number;
  humanReview: number;
  errors: number;
  errorCodes: Record<string, number>;
  fingerprintsProcessed: string[];
  latency: number;
}

async function runLines(res: Response): Promise<RunLine[]> {
  const text = await res.text();
  if (text !== '' && !text.endsWith('\n')) throw new Error('JSONL must end with a newline');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RunLine);
}

describe('admin API', () => {
  test('is off without ADMIN_TOKEN and needs the exact bearer token with it', async ({
    expect,
  }) => {
    // 403 on every Worker (the shared adminAuth): off by configuration is not a server fault.
    const off = admin({ ADMIN_TOKEN: '' });
    const res = await off('/admin/outbox');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'admin_disabled' } });
    expect((await off('/admin/outbox', null)).status).toBe(403);
    const on = admin();
    for (const token of [null, '', 'wrong', `${ADMIN}x`, ADMIN.slice(0, -1)]) {
      const r = await on('/admin/outbox', token);
      expect([token, r.status]).toEqual([token, 401]);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="homeostat-triage"');
    }
    expect((await on('/admin/outbox')).status).toBe(200);
    expect((await on('/admin/runs.jsonl', 'wrong')).status).toBe(401);
  });

  test('GET /admin/outbox lists what dry-run mode would have sent, page by page', async ({
    expect,
  }) => {
    const h = await triageHarness({ mode: 'dry-run' });
    const fps = [freshFingerprint(), freshFingerprint(), freshFingerprint()];
    for (const fp of fps) await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    await h.deliver(fps.map((fp) => ({ id: messageId(), body: fingerprintMessage(EXT_A, fp) })));
    const get = admin();
    const all: { key: string; method: string; path: string; body: { title?: string } }[] = [];
    let after = 0;
    for (;;) {
      const res = await get(`/admin/outbox?after=${after}&limit=2&repo=${REPO_A}`);
      const page = (await res.json()) as {
        entries: typeof all & { id: number }[];
        next: number | null;
      };
      all.push(...page.entries);
      if (page.next === null) break;
      after = page.next;
    }
    const mine = all.filter((e) => fps.some((fp) => e.key.includes(fp)));
    expect(mine).toHaveLength(3);
    expect(
      mine.every((e) => e.method === 'POST' && e.path === '/repos/octo-org/notes-extension/issues'),
    ).toBe(true);
    expect(mine[0]?.body.title).toContain('[notes]');
    const bad = await get('/admin/outbox?limit=0');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_request', issues: [{ path: 'limit' }] },
    });
  });

  test('GET /admin/runs.jsonl exports one record per batch and repository', async ({ expect }) => {
    const h = await triageHarness();
    const fa = freshFingerprint();
    const fb = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fa });
    await seedFingerprint(env.DB, {
      extensionId: EXT_B,
      fingerprint: fb,
      type: 'Error',
      message: 'palette.export failed',
    });
    const since = h.clock.now();
    // A GitHub hiccup costs the batch a measured second of backoff.
    h.emulator.injectFault({ method: 'GET', status: 502 });
    await h.deliver([
      { id: messageId(), body: fingerprintMessage(EXT_A, fa) },
      { id: messageId(), body: fingerprintMessage(EXT_A, fa) },
      { id: messageId(), body: fingerprintMessage(EXT_B, fb) },
      { id: messageId(), body: fingerprintMessage(EXT_A, freshFingerprint()) },
    ]);
    const res = await admin()(`/admin/runs.jsonl?since=${new Date(since).toISOString()}`);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await runLines(res)).filter((l) =>
      l.fingerprintsProcessed.some((f) => f === fa || f === fb),
    );
    const byRepo = Object.fromEntries(lines.map((l) => [l.repo, l]));
    expect(new Set(lines.map((l) => l.runId)).size).toBe(1);
    expect(byRepo[REPO_A]).toMatchObject({
      mode: 'live',
      messages: 3,
      issuesCreated: 1,
      issuesUpdated: 0,
      humanReview: 0,
      errors: 1,
      errorCodes: { fingerprint_missing: 1 },
      latency: 1_000,
    });
    expect(byRepo[REPO_B]).toMatchObject({
      messages: 1,
      issuesCreated: 1,
      humanReview: 1,
      errors: 0,
    });
    const later = await admin()(`/admin/runs.jsonl?since=${h.clock.now() + 1}`);
    expect((await runLines(later)).filter((l) => l.fingerprintsProcessed.includes(fa))).toEqual([]);
  });

  test('GET /admin/decisions explains the gate for a fingerprint', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const res = await admin()(`/admin/decisions?fingerprint=${encodeURIComponent(fp)}`);
    const { decisions } = (await res.json()) as {
      decisions: { action: string; allowed: boolean; reason: string; repo: string }[];
    };
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'attempt',
        allowed: true,
        reason: 'eligible',
        repo: REPO_A,
      }),
    ]);
  });
});
