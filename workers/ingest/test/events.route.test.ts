import { env } from 'cloudflare:workers';
import { EventsResponseSchema, ValidationErrorBodySchema } from '@homeostat/shared';
import { beforeEach, describe, test } from 'vitest';
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import {
  createApp,
  EXTENSION_ID,
  flush,
  KEY,
  makeBody,
  makeEvent,
  randomExtensionId,
  testConfig,
  uid,
} from './ingest-test-kit.ts';

beforeEach(() => forgetExtensionLeases());

describe('POST /v1/events', () => {
  test('202 with a result per event: new, then known, then duplicate', async ({ expect }) => {
    // Its own extension: Durable Object state outlives a test file (isolate: false).
    const app = createApp(testConfig({ id: randomExtensionId() }));
    const first = makeEvent();
    const res = await app.post('/v1/events', makeBody([first, makeEvent()]));
    expect(res.status).toBe(202);
    const body = EventsResponseSchema.parse(await res.json());
    expect(body.accepted).toBe(2);
    expect(body.results.map((r) => r.status)).toEqual(['new', 'known']);
    expect(body.results[0]?.fingerprint).toMatch(/^fp1:[0-9a-f]{32}$/);
    expect(body.results[1]?.fingerprint).toBe(body.results[0]?.fingerprint);

    const again = EventsResponseSchema.parse(
      await (await app.post('/v1/events', makeBody([first]))).json(),
    );
    expect(again.results).toEqual([
      { eventId: first.eventId, fingerprint: body.results[0]?.fingerprint, status: 'duplicate' },
    ]);
  });

  test('the key may come as ?key= (sendBeacon cannot set headers), with text/plain', async ({
    expect,
  }) => {
    const app = createApp();
    const res = await app.request(`/v1/events?key=${KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(makeBody([makeEvent()])),
    });
    expect(res.status).toBe(202);
  });

  test.for([
    ['no key', null],
    ['an unknown key', 'hs_pub_not_a_registered_key'],
  ] as const)('401 for %s', async ([, key], { expect }) => {
    const res = await createApp().post('/v1/events', makeBody([makeEvent()]), { key });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'unknown_key', message: 'unknown ingest key' },
    });
  });

  test('403 when the Origin is not on the allow-list', async ({ expect }) => {
    const app = createApp(testConfig({ allowedOrigins: [EXTENSION_ID] }));
    const body = makeBody([makeEvent()]);
    const other = await app.post('/v1/events', body, {
      headers: { origin: 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
    });
    expect(other.status).toBe(403);
    const none = await app.post('/v1/events', body);
    expect(none.status).toBe(403);
    const allowed = await app.post('/v1/events', body, {
      headers: { origin: `chrome-extension://${EXTENSION_ID}` },
    });
    expect(allowed.status).toBe(202);
  });

  test('415 for a body that is not JSON', async ({ expect }) => {
    const res = await createApp().post('/v1/events', makeBody([makeEvent()]), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });

  test('413 from Content-Length before reading, and from a streamed body without one', async ({
    expect,
  }) => {
    const app = createApp();
    const declared = await app.request('/v1/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-homeostat-key': KEY,
        'content-length': '300000',
      },
      body: '{}',
    });
    expect(declared.status).toBe(413);

    const chunk = new TextEncoder().encode(`"${'x'.repeat(64 * 1024)}",`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent++;
        if (sent > 10) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await app.request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
      body: stream,
    });
    expect(streamed.status).toBe(413);
    // The cap stops the read: far fewer than the 10 chunks offered were pulled.
    expect(sent).toBeLessThan(8);
  });

  test('400 for JSON that does not parse', async ({ expect }) => {
    const res = await createApp().request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
      body: '{"events": [',
    });
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'invalid_json' } });
  });

  test('400 names paths and codes and never echoes the input', async ({ expect }) => {
    const secret = 'jane.doe@example.com';
    const bad = makeBody([makeEvent({ surface: secret as 'background', eventId: 'short' })]);
    const res = await createApp().post('/v1/events', { ...bad, install: { id: secret } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain(secret);
    const body = ValidationErrorBodySchema.parse(JSON.parse(text));
    const paths = body.error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['events[0].eventId', 'events[0].surface', 'install.id']);
    expect(body.error.issues.every((i) => i.code.length > 0)).toBe(true);
  });

  test('limits per field: 51 events, an oversized message, too many tags', async ({ expect }) => {
    const app = createApp();
    const many = await app.post(
      '/v1/events',
      makeBody(Array.from({ length: 51 }, () => makeEvent())),
    );
    expect(many.status).toBe(400);
    const long = await app.post(
      '/v1/events',
      makeBody([makeEvent({ error: { type: 'Error', message: 'x'.repeat(9_000) } })]),
    );
    expect(long.status).toBe(400);
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    expect((await app.post('/v1/events', makeBody([makeEvent({ tags })]))).status).toBe(400);
  });

  test.for([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"events"'],
    ['a number', '1e309'],
    ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['an empty body', ''],
    ['events of the wrong type', '{"sdk":{},"extension":{},"install":{},"events":{"0":1}}'],
    ['a prototype key', '{"__proto__":{"admin":true},"events":[]}'],
  ] as const)('never 5xx on malformed input: %s', async ([, body], { expect }) => {
    const res = await createApp().request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
      body,
    });
    expect(res.status).toBe(400);
  });

  test('429 with Retry-After once an install exceeds its bucket; others are not starved', async ({
    expect,
  }) => {
    const app = createApp(
      testConfig({ id: randomExtensionId(), limits: { perInstallPerMinute: 3 } }),
    );
    const noisy = uid('noisy');
    const first = await app.post(
      '/v1/events',
      makeBody([makeEvent(), makeEvent(), makeEvent(), makeEvent()], noisy),
    );
    expect(first.status).toBe(202);
    const body = EventsResponseSchema.parse(await first.json());
    expect(body.results.map((r) => r.status)).toEqual(['new', 'known', 'known', 'rate_limited']);
    expect(body.results[3]?.fingerprint).toBeNull();
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const limited = await app.post('/v1/events', makeBody([makeEvent()], noisy));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });

    const quiet = await app.post('/v1/events', makeBody([makeEvent()], uid('quiet')));
    expect(quiet.status).toBe(202);
  });

  test('429 when the extension as a whole is over its per-minute limit', async ({ expect }) => {
    const app = createApp(
      testConfig({
        id: randomExtensionId(),
        limits: { perExtensionPerMinute: 4, perInstallPerMinute: 100 },
      }),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await app.post('/v1/events', makeBody([makeEvent()], uid('install')))).status);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(4);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });

  test('429 until tomorrow once the daily quota is used', async ({ expect }) => {
    const app = createApp(
      testConfig({
        id: randomExtensionId(),
        limits: { eventsPerDay: 2, perInstallPerMinute: 100 },
      }),
    );
    expect((await app.post('/v1/events', makeBody([makeEvent(), makeEvent()]))).status).toBe(202);
    forgetExtensionLeases();
    const over = await app.post('/v1/events', makeBody([makeEvent()]));
    expect(over.status).toBe(429);
    const now = Date.now();
    const midnight = Date.UTC(
      new Date(now).getUTCFullYear(),
      new Date(now).getUTCMonth(),
      new Date(now).getUTCDate() + 1,
    );
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(Math.ceil((midnight - now) / 1000) + 1);
  });

  test('503 with Retry-After when a Durable Object cannot be reached', async ({ expect }) => {
    const broken = {
      ...env,
      RATE_LIMITER: {
        getByName: () => {
          throw new Error('Durable Object unavailable');
        },
      },
    } as unknown as Env;
    const res = await createApp().request(
      '/v1/events',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
        body: JSON.stringify(makeBody([makeEvent()])),
      },
      broken,
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  test('CORS: extension origins are allowed, web pages are not', async ({ expect }) => {
    const app = createApp();
    const origin = `chrome-extension://${EXTENSION_ID}`;
    const preflight = await app.request('/v1/events', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-homeostat-key',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-homeostat-key');
    const page = await app.request('/v1/events', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    // Error responses carry CORS headers too, or the extension could not read its 429.
    const unauthorized = await app.post('/v1/events', makeBody([makeEvent()]), {
      key: null,
      headers: { origin },
    });
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(origin);
  });

  test('what is stored is scrubbed: message, stack paths, tags, breadcrumbs, context', async ({
    expect,
  }) => {
    const app = createApp();
    const event = makeEvent({
      error: {
        type: 'Error',
        message:
          'Sync failed for jane.doe@example.com with token ghp_0123456789abcdefghijABCDEFGHIJ012345',
        stack: 'Error: Sync failed\n    at load (file:///Users/janedoe/dev/ext/background.js:1:1)',
      },
      tags: { session: 'abc123secret', plan: 'pro' },
      breadcrumbs: [
        {
          timestamp: Date.now(),
          category: 'fetch',
          message: 'GET https://api.example.com/?api_key=supersecretvalue1',
        },
      ],
      context: { password: 'hunter2hunter2', user: { email: 'jane.doe@example.com' } },
      userReport: { description: 'call me on 192.168.1.20' },
    });
    const res = await app.post('/v1/events', makeBody([event]));
    const body = EventsResponseSchema.parse(await res.json());
    const fp = body.results[0]?.fingerprint ?? '';
    await flush([fp]);
    const row = await env.DB.prepare('SELECT event FROM samples WHERE event_id = ?')
      .bind(event.eventId)
      .first<{ event: string }>();
    const stored = row?.event ?? '';
    for (const secret of [
      'jane.doe@example.com',
      'ghp_0123456789',
      'janedoe',
      'abc123secret',
      'supersecretvalue1',
      'hunter2',
      '192.168.1.20',
    ]) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain('pro');
    expect(JSON.parse(stored)).toMatchObject({ fingerprint: fp, surface: 'background' });
  });
});
