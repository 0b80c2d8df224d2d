import { describe, test } from 'vitest';
import { z } from 'zod';
import {
  ReleaseCommentInputSchema,
  ReleaseCommentResultSchema,
  releaseKey,
} from '../src/rpc/triage-rpc.contract.ts';
import { type AdminBindings, adminAuth } from '../src/worker/admin-auth.ts';
import { bodyCap, parseOrThrow, readJsonBody } from '../src/worker/json-body.ts';
import { createWorkerApp } from '../src/worker/worker-app.ts';

/**
 * The admin auth, JSON body adapter and triage RPC contract every Worker shares (issue 11,
 * section 5). Each Worker's own routes test them again where they are mounted.
 */
const TOKEN = 'admin-token-0123456789';

function adminApp() {
  const app = createWorkerApp<AdminBindings>();
  app.use('/admin/*', adminAuth({ realm: 'homeostat-test' }));
  app.get('/admin/ping', (c) => c.json({ ok: true }));
  return (token: string | undefined, headers: Record<string, string> = {}) =>
    app.request('/admin/ping', { headers }, { ADMIN_TOKEN: token });
}

describe('adminAuth', () => {
  test('is 403 admin_disabled while ADMIN_TOKEN is unset or blank, whatever is presented', async ({
    expect,
  }) => {
    const request = adminApp();
    for (const configured of [undefined, '', '   ']) {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer ' },
        { authorization: 'Bearer x' },
      ];
      for (const headers of attempts) {
        const res = await request(configured, headers);
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({
          error: {
            code: 'admin_disabled',
            message: 'the admin API is disabled: ADMIN_TOKEN is not set',
          },
        });
      }
    }
  });

  test('a missing, malformed or wrong token is 401 with a challenge; the exact one passes', async ({
    expect,
  }) => {
    const request = adminApp();
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN} extra` },
      { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
      { authorization: TOKEN },
    ];
    for (const headers of refused) {
      const res = await request(TOKEN, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="homeostat-test"');
      const text = await res.text();
      expect(text).not.toContain(TOKEN.slice(4));
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'unauthorized' } });
    }
    for (const header of [`Bearer ${TOKEN}`, `bearer  ${TOKEN}`]) {
      expect((await request(TOKEN, { authorization: header })).status).toBe(200);
    }
    // A configured token with surrounding whitespace (a pasted secret) still matches.
    expect((await request(` ${TOKEN}\n`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});

describe('readJsonBody', () => {
  const Body = z.strictObject({ version: z.string().max(10) });

  function bodyApp(mediaTypes?: ReadonlySet<string>) {
    const app = createWorkerApp<object>();
    app.post('/', bodyCap(64), async (c) =>
      c.json(await readJsonBody(c, Body, mediaTypes === undefined ? {} : { mediaTypes })),
    );
    return (body: string | Uint8Array<ArrayBuffer>, type = 'application/json') =>
      app.request('/', { method: 'POST', headers: { 'content-type': type }, body });
  }

  test('answers the same codes on every Worker and never echoes the body', async ({ expect }) => {
    const post = bodyApp();
    const secret = 'ghp_0123456789';
    const cases: [string, string, number, string][] = [
      ['{"version":"1.0"}', 'application/json; charset=utf-8', 200, ''],
      [`{"version":"${secret}"}`, 'application/json', 400, 'invalid_request'],
      [`{"version":"1","x":"${secret}"}`, 'application/json', 400, 'invalid_request'],
      [`{"version":"${secret}`, 'application/json', 400, 'invalid_json'],
      ['{"version":"1.0"}', 'text/plain', 415, 'unsupported_media_type'],
      [`{"version":"${'9'.repeat(80)}"}`, 'application/json', 413, 'payload_too_large'],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await post(body, type);
      const text = await res.text();
      expect([body, res.status]).toEqual([body, status]);
      if (status === 200) continue;
      expect(text).not.toContain(secret);
      expect(JSON.parse(text)).toMatchObject({ error: { code } });
    }
    // Not UTF-8: a lone 0xFF inside a string.
    const res = await post(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  test('a Worker may accept more media types (ingest: text/plain for sendBeacon)', async ({
    expect,
  }) => {
    const post = bodyApp(new Set(['application/json', 'text/plain']));
    expect((await post('{"version":"1.0"}', 'text/plain;charset=UTF-8')).status).toBe(200);
    expect((await post('{"version":"1.0"}', 'application/x-www-form-urlencoded')).status).toBe(415);
  });

  test('parseOrThrow refuses a query by path and code', ({ expect }) => {
    const Query = z.object({ limit: z.coerce.number().int().min(1) });
    expect(parseOrThrow(Query, { limit: '5' }, 'invalid query')).toEqual({ limit: 5 });
    expect(() => parseOrThrow(Query, { limit: '0' }, 'invalid query')).toThrow(
      expect.objectContaining({
        code: 'invalid_request',
        httpStatus: 400,
        message: 'invalid query',
        issues: [{ path: 'limit', code: 'too_small' }],
      }),
    );
  });
});

describe('triage RPC contract', () => {
  test('bounds the input both sides validate, and the answers canary accepts', ({ expect }) => {
    const ok = {
      repo: 'octo-org/notes',
      releaseKey: releaseKey('a'.repeat(32), '1.2.0'),
      title: 't',
      body: 'b',
    };
    expect(ReleaseCommentInputSchema.parse(ok)).toEqual(ok);
    expect(ok.releaseKey).toBe(`${'a'.repeat(32)}@1.2.0`);
    for (const bad of [
      { ...ok, repo: 'not a repo' },
      { ...ok, releaseKey: 'has space' },
      { ...ok, title: '' },
      { ...ok, title: 'x'.repeat(301) },
      { ...ok, body: 'x'.repeat(20_001) },
      { ...ok, extra: 1 },
    ]) {
      expect(ReleaseCommentInputSchema.safeParse(bad).success).toBe(false);
    }
    expect(ReleaseCommentResultSchema.parse({ status: 'sent', issueNumber: 7 })).toEqual({
      status: 'sent',
      issueNumber: 7,
    });
    expect(ReleaseCommentResultSchema.safeParse({ ok: true }).success).toBe(false);
    expect(ReleaseCommentResultSchema.safeParse({ status: 'posted' }).success).toBe(false);
  });
});
