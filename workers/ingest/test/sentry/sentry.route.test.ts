import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { EventsResponseSchema, type HomeostatConfig, type IngestEvent } from '@homeostat/shared';
import {
  BrowserClient,
  defaultStackParser,
  getDefaultIntegrations,
  makeFetchTransport,
  Scope,
} from '@sentry/browser';
import { beforeEach, describe, test, vi } from 'vitest';
import { z } from 'zod';
import { forgetExtensionLeases } from '../../src/extension-lease.ts';
import {
  createApp,
  KEY,
  makeBody,
  makeEvent,
  randomExtensionId,
  testConfig,
  uid,
} from '../ingest-test-kit.ts';

/**
 * Sentry's door (issue 13) in workerd, against real local D1 and Durable Objects: envelopes
 * made by the real `@sentry/browser` (a `BrowserClient` with its own `Scope`, as Sentry documents
 * for browser extensions, its fetch transport posting to the app) and envelopes built by hand for
 * what the SDK never sends (compression, bad framing, other auth forms).
 */

beforeEach(() => forgetExtensionLeases());

const PII = 'jane.doe@example.com';
const hex32 = () => crypto.randomUUID().replaceAll('-', '');

function isolated(extension: Parameters<typeof testConfig>[0] = {}) {
  const config = testConfig({ id: randomExtensionId(), ...extension });
  const ext = config.extensions[0];
  if (ext === undefined) throw new Error('no extension');
  return { config, app: createApp(config), id: ext.id, origin: `chrome-extension://${ext.id}` };
}

const stackOf = (origin: string, message: string) =>
  [
    `TypeError: ${message}`,
    `    at syncTabs (${origin}/background.js:42:17)`,
    `    at async onAlarm (${origin}/background.js:88:5)`,
  ].join('\n');

/** A Sentry client set up as docs.sentry.io "shared environments" shows for extensions. */
function sentryClient(
  app: ReturnType<typeof createApp>,
  options: { projectId?: number; release?: string } = {},
) {
  const requests: { url: string; status: number; headers: Headers }[] = [];
  const fetchToApp = async (url: string | URL | Request, init?: RequestInit) => {
    const res = await app.request(String(url), init ?? {});
    requests.push({ url: String(url), status: res.status, headers: res.headers });
    return res;
  };
  const client = new BrowserClient({
    dsn: `https://${KEY}@ingest.example.com/${options.projectId ?? 1}`,
    release: options.release ?? 'my-extension@1.2.0',
    environment: 'production',
    transport: (o) => makeFetchTransport(o, fetchToApp as typeof fetch),
    stackParser: defaultStackParser,
    // The integrations that patch globals are what makes `init` unsafe in an extension.
    integrations: getDefaultIntegrations({}).filter(
      (i) =>
        !['BrowserApiErrors', 'Breadcrumbs', 'GlobalHandlers', 'BrowserSession'].includes(i.name),
    ),
    sendClientReports: false,
  });
  const scope = new Scope();
  scope.setClient(client);
  client.init();
  return { client, scope, requests };
}

async function samples(extensionId: string, fingerprint: string) {
  await runDurableObjectAlarm(env.FINGERPRINTS.getByName(`${extensionId}:${fingerprint}`));
  const { results } = await env.DB.prepare(
    'SELECT event_id, version, surface, event FROM samples WHERE extension_id = ? AND fingerprint = ? ORDER BY event_id',
  )
    .bind(extensionId, fingerprint)
    .all();
  return results.map((r) => {
    const row = z
      .object({ event_id: z.string(), version: z.string(), surface: z.string(), event: z.string() })
      .parse(r);
    return { ...row, event: JSON.parse(row.event) as IngestEvent };
  });
}

/** The fingerprint /v1/events gives an event: what Homeostat's own SDK would have sent. */
async function homeostatFingerprint(
  app: ReturnType<typeof createApp>,
  extensionId: string,
  event: ReturnType<typeof makeEvent>,
) {
  const body = { ...makeBody([event]), extension: { id: extensionId, version: '1.2.0' } };
  const res = EventsResponseSchema.parse(await (await app.post('/v1/events', body)).json());
  const fp = res.results[0]?.fingerprint;
  if (!fp) throw new Error('no fingerprint');
  return fp;
}

function envelope(items: [object, unknown][], header: object = {}): string {
  return [
    JSON.stringify(header),
    ...items.flatMap(([h, p]) => [
      JSON.stringify(h),
      typeof p === 'string' ? p : JSON.stringify(p),
    ]),
  ].join('\n');
}

const errorItem = (origin: string, extra: object = {}): [object, unknown] => [
  { type: 'event' },
  {
    event_id: hex32(),
    release: '1.2.0',
    exception: {
      values: [
        {
          type: 'TypeError',
          value: 'boom',
          stacktrace: {
            frames: [
              { filename: `${origin}/background.js`, function: 'onAlarm', lineno: 9, colno: 1 },
            ],
          },
        },
      ],
    },
    ...extra,
  },
];

async function post(
  app: ReturnType<typeof createApp>,
  path: string,
  body: BodyInit,
  headers: Record<string, string> = {},
) {
  return app.request(path, { method: 'POST', headers, body });
}

async function compress(text: string, format: 'gzip' | 'deflate'): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('the real @sentry/browser', () => {
  test('its events arrive through the one pipeline and group with the same error from Homeostat’s SDK', async ({
    expect,
  }) => {
    const { app, id, origin } = isolated();
    const { client, scope, requests } = sentryClient(app);
    scope.setUser({ id: 'install-7', email: PII });
    scope.setTag('surface', 'background');
    scope.addBreadcrumb({ category: 'alarm', message: 'sync fired' });
    const message = "Cannot read properties of undefined (reading 'tabs')";
    const error = Object.assign(new TypeError(message), { stack: stackOf(origin, message) });
    const cause = new RangeError(`quota for ${PII}`);
    (error as Error & { cause?: unknown }).cause = cause;
    const sentryId = scope.captureException(error);
    await client.flush(2_000);

    expect(requests).toHaveLength(1);
    expect(requests[0]?.status).toBe(200);
    // The browser SDK authenticates in the query, so it needs no CORS preflight.
    expect(requests[0]?.url).toContain(`sentry_key=${KEY}`);

    const fp = await homeostatFingerprint(
      app,
      id,
      makeEvent({ error: { type: 'TypeError', message, stack: stackOf(origin, message) } }),
    );
    const rows = await samples(id, fp);
    const fromSentry = rows.find((r) => r.event_id === sentryId);
    expect(rows).toHaveLength(2);
    expect(fromSentry).toMatchObject({ version: '1.2.0', surface: 'background' });
    expect(fromSentry?.event.error.stack?.split('\n')).toEqual(
      stackOf(origin, message).split('\n'),
    );
    expect(fromSentry?.event.tags).toMatchObject({
      mechanism: 'generic',
      environment: 'production',
    });
    expect(fromSentry?.event.breadcrumbs).toContainEqual(
      expect.objectContaining({ category: 'alarm', message: 'sync fired' }),
    );
    expect(fromSentry?.event.context?.causes).toEqual([
      { type: 'RangeError', message: 'quota for [email]', stack: expect.any(String) },
    ]);
    expect(JSON.stringify(rows)).not.toContain(PII);
  });

  test('a 429 with X-Sentry-Rate-Limits makes its transport back off', async ({ expect }) => {
    const { app } = isolated({ limits: { perInstallPerMinute: 1 } });
    const { client, scope, requests } = sentryClient(app);
    scope.setUser({ id: uid('install') });
    for (const n of [1, 2, 3]) {
      scope.captureException(new Error(`failure ${n}`));
      await client.flush(2_000);
    }
    // The second was refused for the error category; the SDK then kept the third to itself.
    expect(requests.map((r) => r.status)).toEqual([200, 429]);
    const limited = requests[1]?.headers;
    expect(Number(limited?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited?.get('x-sentry-rate-limits')).toMatch(/^\d+:error:project$/);
  });

  test('a project id other than the configured one is refused', async ({ expect }) => {
    const { app } = isolated({ sentryProjectId: 42 });
    const wrong = sentryClient(app, { projectId: 7 });
    wrong.scope.captureException(new Error('x'));
    await wrong.client.flush(2_000);
    const right = sentryClient(app, { projectId: 42 });
    right.scope.captureException(new Error('x'));
    await right.client.flush(2_000);
    expect([wrong.requests[0]?.status, right.requests[0]?.status]).toEqual([401, 200]);
  });
});

describe('envelopes built by hand', () => {
  test('gzip and deflate bodies, with the key in X-Sentry-Auth', async ({ expect }) => {
    const { app, origin } = isolated();
    for (const format of ['gzip', 'deflate'] as const) {
      const item = errorItem(origin);
      const res = await post(app, '/api/1/envelope/', await compress(envelope([item]), format), {
        'content-encoding': format,
        'x-sentry-auth': `Sentry sentry_version=7, sentry_client=raven/1, sentry_key=${KEY}`,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: (item[1] as { event_id: string }).event_id });
    }
  });

  test('413: the cap counts decompressed bytes, declared lengths and streamed bodies', async ({
    expect,
  }) => {
    const { app, origin } = isolated();
    const huge = envelope([errorItem(origin, { extra: { pad: ' '.repeat(2 * 1024 * 1024) } })]);
    const bomb = await compress(huge, 'gzip');
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const url = `/api/1/envelope/?sentry_key=${KEY}`;
    const res = await post(app, url, bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: 'body exceeds 1048576 bytes' });
    expect((await post(app, url, '{}', { 'content-length': '2000000' })).status).toBe(413);

    let pulled = 0;
    const chunk = new TextEncoder().encode(' '.repeat(256 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++pulled > 20) controller.close();
        else controller.enqueue(chunk);
      },
    });
    expect((await post(app, url, stream)).status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  test('400, 401, 403 and 415 in Relay’s shape, never quoting the request', async ({ expect }) => {
    const { app, origin } = isolated({ sentryProjectId: 5, allowedOrigins: undefined });
    const good = envelope([errorItem(origin)]);
    const q = `?sentry_key=${KEY}`;
    const cases: [string, BodyInit, Record<string, string>, number, string][] = [
      ['/api/5/envelope/', good, {}, 401, 'missing authorization information'],
      [`/api/5/envelope/?sentry_key=hs_pub_unknown_key_00000`, good, {}, 401, 'unknown ingest key'],
      [`/api/6/envelope/${q}`, good, {}, 401, 'the key does not belong to this project'],
      [`/api/abc/envelope/${q}`, good, {}, 400, 'bad project path parameter'],
      [
        `/api/5/envelope/${q}`,
        good,
        { 'x-sentry-auth': 'Sentry sentry_key=hs_pub_other_key_000000001' },
        401,
        'multiple authorization payloads detected',
      ],
      [`/api/5/envelope/${q}`, `${PII}\n{}`, {}, 400, 'invalid event envelope'],
      [
        `/api/5/envelope/${q}`,
        `{}\n{"type":"event"}\n{${PII}`,
        {},
        400,
        'event is not valid UTF-8 JSON',
      ],
      [
        `/api/5/envelope/${q}`,
        `{}\n{"type":"event"}\n"${PII}"`,
        {},
        400,
        'event is not a Sentry event',
      ],
      [
        `/api/5/envelope/${q}`,
        good,
        { 'content-encoding': 'br' },
        415,
        'content encoding must be gzip or deflate',
      ],
      [
        `/api/5/envelope/${q}`,
        'not gzip at all',
        { 'content-encoding': 'gzip' },
        400,
        'body could not be decompressed',
      ],
      [`/api/5/store/${q}`, PII, {}, 400, 'event is not valid UTF-8 JSON'],
    ];
    for (const [path, body, headers, status, detail] of cases) {
      const res = await post(app, path, body, headers);
      const text = await res.text();
      expect([path, res.status, JSON.parse(text)]).toEqual([path, status, { detail }]);
      expect(text).not.toContain(PII);
    }
  });

  test('the Origin allow-list applies as on /v1', async ({ expect }) => {
    const { app, id, origin } = isolated();
    const config: HomeostatConfig = testConfig({ id, allowedOrigins: [id] });
    const guarded = createApp(config);
    const body = envelope([errorItem(origin)]);
    const url = `/api/1/envelope/?sentry_key=${KEY}`;
    expect((await post(guarded, url, body, { origin })).status).toBe(200);
    expect((await post(guarded, url, body, { origin: 'https://shop.example.com' })).status).toBe(
      403,
    );
    expect((await post(app, url, body, { origin: 'https://shop.example.com' })).status).toBe(200);
  });

  test('the DSN in the envelope header authenticates an SDK behind a tunnel', async ({
    expect,
  }) => {
    const { app, origin } = isolated();
    const dsn = `https://${KEY}@ingest.example.com/3`;
    const body = envelope([errorItem(origin)], { dsn });
    expect((await post(app, '/api/3/envelope/', body)).status).toBe(200);
    expect((await post(app, '/api/4/envelope/', body)).status).toBe(401);
  });

  test('the legacy store endpoint, with and without the trailing slash', async ({ expect }) => {
    const { app, origin } = isolated();
    for (const path of ['/api/1/store/', '/api/1/store']) {
      const [, event] = errorItem(origin);
      const res = await post(app, `${path}?sentry_key=${KEY}`, JSON.stringify(event), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: (event as { event_id: string }).event_id });
    }
  });

  test('sessions count once into release health; updates and unknown items count nothing', async ({
    expect,
  }) => {
    const { app, id } = isolated();
    const version = `4.${Math.floor(Math.random() * 60_000)}`;
    const session = (sid: string, init: boolean) => ({
      sid,
      init,
      started: new Date().toISOString(),
      status: init ? 'ok' : 'exited',
      errors: 0,
      did: 'install-9',
      attrs: { release: `ext@${version}`, environment: 'production' },
    });
    const [a, b] = [hex32(), hex32()];
    const url = `/api/1/envelope/?sentry_key=${KEY}`;
    const first = await post(
      app,
      url,
      envelope([
        [{ type: 'session' }, session(a, true)],
        [{ type: 'session' }, session(b, true)],
        [{ type: 'transaction' }, { type: 'transaction', spans: [] }],
        [{ type: 'attachment', length: 3 }, 'abc'],
      ]),
    );
    expect([first.status, await first.json()]).toEqual([200, {}]);
    // The same starts again (a retry) and an update: nothing more.
    await post(app, url, envelope([[{ type: 'session' }, session(a, true)]]));
    await post(app, url, envelope([[{ type: 'session' }, session(a, false)]]));
    await runDurableObjectAlarm(env.RELEASE_HEALTH.getByName(`release-health:${id}`));
    const row = await env.DB.prepare(
      'SELECT sum(sessions) AS sessions FROM release_health WHERE extension_id = ? AND version = ?',
    )
      .bind(id, version)
      .first();
    expect(row).toEqual({ sessions: 2 });
  });

  test('client reports are counted by reason, never echoed', async ({ expect }) => {
    const { app } = isolated();
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    try {
      const res = await post(
        app,
        `/api/1/envelope/?sentry_key=${KEY}`,
        envelope([
          [
            { type: 'client_report' },
            {
              timestamp: Date.now() / 1000,
              discarded_events: [
                { reason: 'ratelimit_backoff', category: 'error', quantity: 3 },
                { reason: PII, category: 'error', quantity: 1 },
              ],
            },
          ],
        ]),
      );
      expect([res.status, await res.json()]).toEqual([200, {}]);
      expect(info).toHaveBeenCalledWith(
        'sentry ingest: client report',
        'test-extension',
        JSON.stringify({ ratelimit_backoff: 3, other: 1 }),
      );
    } finally {
      info.mockRestore();
    }
  });

  test('CORS for any origin, with the rate-limit headers exposed', async ({ expect }) => {
    const { app, origin } = isolated();
    const preflight = await app.request('/api/1/envelope/', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-sentry-auth',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-sentry-auth');
    const res = await post(
      app,
      `/api/1/envelope/?sentry_key=${KEY}`,
      envelope([errorItem(origin)]),
      {
        origin: 'https://shop.example.com',
      },
    );
    expect(res.headers.get('access-control-expose-headers')).toContain('x-sentry-rate-limits');
  });
});
