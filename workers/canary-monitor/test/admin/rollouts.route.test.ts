import { env, exports } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { createCanaryApp } from '../../src/app.ts';
import { JudgeInputSchema } from '../../src/judge/judge.schema.ts';
import { judge } from '../../src/judge/judge.ts';
import { createHarness, healthy } from '../support/canary-harness.ts';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

function setup(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness(options);
  const app = createCanaryApp(h.config, () => h.deps);
  const bindings = { ...env, ADMIN_TOKEN: TOKEN };
  const request = (path: string, init: RequestInit = {}) => app.request(path, init, bindings);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    request('/api/rollouts', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { h, app, request, post };
}

describe('admin API authentication', () => {
  test('without ADMIN_TOKEN configured the admin API is disabled (403)', async ({ expect }) => {
    const res = await exports.default.fetch('https://canary.test/api/rollouts', { headers: auth });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: 'admin_disabled',
        message: 'the admin API is disabled: ADMIN_TOKEN is not set',
      },
    });
  });

  test('a missing or wrong bearer token is 401, the right one passes', async ({ expect }) => {
    const { request } = setup();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await request('/api/rollouts', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      const text = await res.text();
      expect(text).not.toContain(TOKEN);
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await request('/api/rollouts', { headers: auth })).status).toBe(200);
    // /healthz stays public.
    expect((await request('/healthz')).status).toBe(200);
  });
});

describe('POST /api/rollouts', () => {
  test('registers a rollout; live with store credentials, observe without', async ({ expect }) => {
    const live = setup();
    const res = await live.post({ extensionId: live.h.extensionId, version: '1.1.0' });
    expect(res.status).toBe(201);
    const { rollout } = (await res.json()) as { rollout: Record<string, unknown> };
    expect(rollout).toMatchObject({
      extensionId: live.h.extensionId,
      version: '1.1.0',
      baselineVersion: null,
      source: 'api',
      mode: 'live',
      state: 'PREFLIGHT',
      stage: { index: 0, percentage: 5, startedAt: null },
      stages: [5, 10, 25, 50, 100],
      rollbackPolicy: 'critical',
    });

    const observe = setup({ live: false });
    const res2 = await observe.post({
      extension: 'demo-extension',
      version: '2.0.0',
      baselineVersion: '1.9.3',
    });
    expect(res2.status).toBe(201);
    expect(await res2.json()).toMatchObject({
      rollout: { mode: 'observe', baselineVersion: '1.9.3' },
    });
  });

  test('registering the same version twice conflicts; a newer one supersedes', async ({
    expect,
  }) => {
    const { h, post, request } = setup();
    const first = (await (await post({ extensionId: h.extensionId, version: '1.1.0' })).json()) as {
      rollout: { id: number };
    };
    const again = await post({ extensionId: h.extensionId, version: '1.1.0' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'conflict' } });
    expect((await post({ extensionId: h.extensionId, version: '1.2.0' })).status).toBe(201);
    const old = (await (
      await request(`/api/rollouts/${first.rollout.id}`, { headers: auth })
    ).json()) as {
      rollout: { state: string; detail: string };
    };
    expect(old.rollout).toMatchObject({ state: 'DETACHED', detail: 'superseded by 1.2.0' });
    // An older version cannot displace the newer rollout.
    expect((await post({ extensionId: h.extensionId, version: '1.1.5' })).status).toBe(409);
  });

  test('a bad body is 400 with paths and codes only, never the input', async ({ expect }) => {
    const { h, post } = setup();
    const secretish = 'ghp_notARealTokenButLooksLikeOne1234567890';
    const cases: unknown[] = [
      { extensionId: h.extensionId, version: secretish },
      { extensionId: h.extensionId, version: '1.1.0', extra: secretish },
      { version: '1.1.0' },
      { extensionId: h.extensionId, extension: 'demo-extension', version: '1.1.0' },
      { extensionId: 'p'.repeat(32), version: '1.1.0' },
      { extension: secretish, version: '1.1.0' },
      { extensionId: h.extensionId, version: '1.1.0', baselineVersion: '1.2.0' },
      [secretish],
      `{"version": "${secretish}"`,
    ];
    for (const body of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain(secretish);
      const json = JSON.parse(text) as {
        error: { code: string; issues?: { path: string; code: string }[] };
      };
      // The shared JSON body adapter: malformed JSON is `invalid_json`, as on every Worker.
      expect(json.error.code).toBe(typeof body === 'string' ? 'invalid_json' : 'invalid_request');
      expect(json.error.issues?.length).toBeGreaterThan(0);
    }
  });

  test('wrong media type is 415; an oversized body is 413 before parsing', async ({ expect }) => {
    const { h, post, request } = setup();
    const form = await post(`version=1.1.0`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const big = await post({
      extensionId: h.extensionId,
      version: '1.1.0',
      pad: 'x'.repeat(20_000),
    });
    expect(big.status).toBe(413);
    // Chunked, without Content-Length: still capped while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++)
          controller.enqueue(new TextEncoder().encode(' '.repeat(1_000)));
        controller.close();
      },
    });
    const chunked = await request('/api/rollouts', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error -- `duplex` is required for a streamed body and missing from RequestInit.
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
  });
});

describe('GET /api/rollouts', () => {
  test('lists, shows the decision history, and returns a replayable decision', async ({
    expect,
  }) => {
    const { h, request } = setup();
    h.publishCanary();
    await h.seed(100, healthy);
    const registered = await h.register();
    for (let i = 0; i < 8; i++) await h.tick();

    const list = (await (
      await request(`/api/rollouts?extensionId=${h.extensionId}`, { headers: auth })
    ).json()) as {
      rollouts: { id: number; state: string }[];
      next: number | null;
    };
    expect(list.rollouts).toEqual([expect.objectContaining({ id: registered.id, state: 'STAGE' })]);
    expect(list.next).toBeNull();

    const show = (await (
      await request(`/api/rollouts/${registered.id}`, { headers: auth })
    ).json()) as {
      rollout: { evidence: { windows: number } };
      decisions: { id: number; decision: string; replayable: boolean; stats: unknown }[];
      notifications: { status: string; title: string }[];
    };
    expect(show.decisions).toHaveLength(8);
    expect(show.decisions.at(-1)?.decision).toBe('preflight');
    expect(show.decisions[0]).toMatchObject({
      decision: 'hold',
      replayable: true,
      stats: expect.any(Object),
    });
    expect(show.rollout.evidence.windows).toBeGreaterThan(0);
    expect(show.notifications).toEqual([expect.objectContaining({ status: 'sent' })]);

    const id = show.decisions[0]?.id;
    const detail = (await (
      await request(`/api/rollouts/${registered.id}/decisions/${id}`, { headers: auth })
    ).json()) as {
      decision: { judgeInput: unknown; judgeOutput: unknown };
    };
    const replayed = judge(JudgeInputSchema.parse(detail.decision.judgeInput));
    expect(replayed).toEqual(detail.decision.judgeOutput);
  });

  test('unknown ids are 404, malformed ids and queries 400', async ({ expect }) => {
    const { request } = setup();
    expect((await request('/api/rollouts/999999999', { headers: auth })).status).toBe(404);
    expect((await request('/api/rollouts/abc', { headers: auth })).status).toBe(400);
    expect((await request('/api/rollouts/1/decisions/0', { headers: auth })).status).toBe(400);
    expect((await request('/api/rollouts?state=WHATEVER', { headers: auth })).status).toBe(400);
    expect((await request('/api/rollouts?limit=100000', { headers: auth })).status).toBe(400);
    expect((await request('/api/nothing-here', { headers: auth })).status).toBe(404);
  });

  test('a registration takes over a version that was only being observed', async ({ expect }) => {
    const { h, post } = setup();
    await h.seed(30, healthy, h.now - 30 * 300_000);
    await h.tick();
    expect((await h.rollout()).source).toBe('discovered');
    const res = await post({ extensionId: h.extensionId, version: h.version });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      rollout: { source: 'api', mode: 'live', state: 'PREFLIGHT' },
    });
  });
});
