import { env } from 'cloudflare:workers';
import { RELEASE_HEALTH_LIMITS, type SessionsRequestInput } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import { windowStart } from '../src/release-window.ts';
import {
  createApp,
  EXTENSION_ID,
  flush,
  makeBody,
  makeEvent,
  randomExtensionId,
  testConfig,
  uid,
} from './ingest-test-kit.ts';

function sessionsBody(ids: string[], install: string, version: string): SessionsRequestInput {
  return {
    sdk: { name: 'homeostat-extension-sdk', version: '0.1.0' },
    extension: { id: EXTENSION_ID, version },
    install: { id: install },
    sessions: ids.map((sessionId) => ({ sessionId, startedAt: Date.now() })),
  };
}

async function health(version: string) {
  return env.DB.prepare(
    'SELECT sum(sessions) AS sessions, sum(error_sessions) AS error_sessions, sum(error_events) AS error_events, sum(new_install_sessions) AS new_install_sessions, sum(new_install_error_sessions) AS new_install_error_sessions FROM release_health WHERE extension_id = ? AND version = ?',
  )
    .bind(EXTENSION_ID, version)
    .first();
}

describe('release health', () => {
  test('sessions and error-affected sessions per version, each counted once', async ({
    expect,
  }) => {
    const app = createApp();
    const version = `3.${Math.floor(Math.random() * 60_000)}`;
    const install = uid('install');
    const [s1, s2, s3] = [uid('ses'), uid('ses'), uid('ses')];
    const res = await app.post('/v1/sessions', sessionsBody([s1, s2, s3], install, version));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3 });
    // A resubmitted batch is not counted again.
    expect(
      await (await app.post('/v1/sessions', sessionsBody([s1], install, version))).json(),
    ).toEqual({ accepted: 0 });

    // Two errors in s1 (two different problems) and one in s2: two error-affected sessions.
    const other = makeEvent({
      sessionId: s1,
      error: { type: 'RangeError', message: 'Invalid array length' },
    });
    const events = await app.post(
      '/v1/events',
      makeBody(
        [makeEvent({ sessionId: s1 }), other, makeEvent({ sessionId: s2 })],
        install,
        version,
      ),
    );
    const fps = ((await events.json()) as { results: { fingerprint: string }[] }).results.map(
      (r) => r.fingerprint,
    );
    await flush(fps);
    expect(await health(version)).toEqual({
      sessions: 3,
      error_sessions: 2,
      error_events: 3,
      new_install_sessions: 3,
      // The install is in its first day, so its error-affected sessions are new-install ones.
      new_install_error_sessions: 2,
    });
    const row = await env.DB.prepare('SELECT window_start FROM release_health WHERE version = ?')
      .bind(version)
      .first<{ window_start: number }>();
    expect(row?.window_start).toBe(windowStart(row?.window_start ?? -1));
  });

  test('sessions are validated like events', async ({ expect }) => {
    const res = await createApp().post('/v1/sessions', {
      ...sessionsBody([], uid('i'), '1.0'),
      sessions: [],
    });
    expect(res.status).toBe(400);
  });
});

describe('release health is untrusted client data (issue 11, item 2)', () => {
  async function healthOf(extensionId: string, version: string) {
    return env.DB.prepare(
      'SELECT sum(sessions) AS sessions, sum(error_sessions) AS error_sessions, sum(installs) AS installs, sum(error_installs) AS error_installs FROM release_health WHERE extension_id = ? AND version = ?',
    )
      .bind(extensionId, version)
      .first();
  }

  test('sessions draw on the extension budget', async ({ expect }) => {
    const id = randomExtensionId();
    const app = createApp(
      testConfig({ id, limits: { eventsPerDay: 3, perInstallPerMinute: 100 } }),
    );
    const body = (n: number) => ({
      ...sessionsBody(
        Array.from({ length: n }, () => uid('ses')),
        uid('install'),
        '1.0',
      ),
      extension: { id, version: '1.0' },
    });
    expect(await (await app.post('/v1/sessions', body(2))).json()).toEqual({ accepted: 2 });
    // The day's quota had three: one more, then none.
    expect(await (await app.post('/v1/sessions', body(2))).json()).toEqual({ accepted: 1 });
    forgetExtensionLeases();
    const over = await app.post('/v1/sessions', body(1));
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('one install moves the aggregates by at most the cap per window; installs are counted', async ({
    expect,
  }) => {
    const app = createApp();
    const version = `5.${Math.floor(Math.random() * 60_000)}`;
    const noisy = uid('noisy');
    const many = Array.from({ length: 40 }, () => uid('ses'));
    const res = await app.post('/v1/sessions', sessionsBody(many, noisy, version));
    expect(await res.json()).toEqual({ accepted: 40 });
    await app.post('/v1/sessions', sessionsBody([uid('ses')], uid('quiet'), version));
    const events = await app.post(
      '/v1/events',
      makeBody(
        many.slice(0, 20).map((sessionId) => makeEvent({ sessionId })),
        noisy,
        version,
      ),
    );
    const fps = ((await events.json()) as { results: { fingerprint: string }[] }).results.map(
      (r) => r.fingerprint,
    );
    await flush(fps);
    expect(await healthOf(EXTENSION_ID, version)).toEqual({
      sessions: RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow + 1,
      error_sessions: RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow,
      installs: 2,
      error_installs: 1,
    });
  });

  test('only admitted events mark their session as error-affected', async ({ expect }) => {
    const id = randomExtensionId();
    const app = createApp(testConfig({ id, limits: { perInstallPerMinute: 2 } }));
    const version = '7.0';
    const [a, b, c] = [uid('ses'), uid('ses'), uid('ses')];
    const events = [
      makeEvent({ sessionId: a }),
      makeEvent({ sessionId: undefined }),
      makeEvent({ sessionId: b }),
      makeEvent({ sessionId: c }),
    ];
    const res = await app.post('/v1/events', {
      ...makeBody(events, uid('install'), version),
      extension: { id, version },
    });
    const body = (await res.json()) as {
      results: { fingerprint: string | null; status: string }[];
    };
    expect(body.results.map((r) => r.status)).toEqual([
      'new',
      'known',
      'rate_limited',
      'rate_limited',
    ]);
    await flush(
      body.results.flatMap((r) => (r.fingerprint === null ? [] : [r.fingerprint])),
      id,
    );
    expect(await healthOf(id, version)).toMatchObject({ error_sessions: 1, error_installs: 1 });
  });
});
