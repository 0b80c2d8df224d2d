import { env } from 'cloudflare:workers';
import type { SessionsRequestInput } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { windowStart } from '../src/release-window.ts';
import { createApp, EXTENSION_ID, flush, makeBody, makeEvent, uid } from './ingest-test-kit.ts';

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
