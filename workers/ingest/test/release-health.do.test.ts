import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { RELEASE_HEALTH_LIMITS } from '@homeostat/shared';
import { describe, test } from 'vitest';
import type { ErrorReport } from '../src/release-health.do.ts';
import { WINDOW_MS, windowStart } from '../src/release-window.ts';
import { randomExtensionId, uid } from './ingest-test-kit.ts';

const T0 = windowStart(Date.UTC(2026, 10, 21, 12, 0, 0));
const CAP = RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow;

/** A ReleaseHealth object of its own per test, and what it flushed to D1. */
function releaseHealth() {
  const extensionId = randomExtensionId();
  const stub = env.RELEASE_HEALTH.getByName(`release-health:${extensionId}`);
  let seq = 0;
  return {
    extensionId,
    stub,
    sessions: (installHash: string, sessionIds: string[], now = T0, version = '1.0') =>
      stub.recordSessions({
        extensionId,
        version,
        installHash,
        sessionIds,
        flushIntervalMs: 1_000,
        now,
      }),
    errors: (windows: ErrorReport['windows'], source = 'fingerprint:a', at = ++seq) =>
      stub.recordErrors({
        source,
        seq: at,
        extensionId,
        flushIntervalMs: 1_000,
        now: T0,
        windows,
      }),
    async flushed(version = '1.0', window = T0) {
      await runDurableObjectAlarm(stub);
      return env.DB.prepare(
        `SELECT sessions, error_sessions, error_events, new_install_sessions, new_install_error_sessions,
           installs, error_installs
         FROM release_health WHERE extension_id = ? AND version = ? AND window_start = ?`,
      )
        .bind(extensionId, version, window)
        .first();
    },
  };
}

const errorWindow = (
  sessions: { installHash: string; sessionId: string; at?: number }[],
  errorEvents = sessions.length,
  window = T0,
) => ({
  version: '1.0',
  windowStart: window,
  errorEvents,
  sessions: sessions.map((s) => ({ ...s, at: s.at ?? window })),
});

describe('ReleaseHealth Durable Object', () => {
  test("a session counts once; a session's first error counts once, whichever problems it hit", async ({
    expect,
  }) => {
    const rh = releaseHealth();
    const install = uid('install');
    expect(await rh.sessions(install, ['s1', 's2'])).toEqual({ accepted: 2 });
    expect(await rh.sessions(install, ['s1'])).toEqual({ accepted: 0 });
    // Two problems' objects report s1; one of them s2 as well.
    await rh.errors([errorWindow([{ installHash: install, sessionId: 's1' }], 3)], 'fingerprint:a');
    await rh.errors(
      [
        errorWindow([
          { installHash: install, sessionId: 's1' },
          { installHash: install, sessionId: 's2' },
        ]),
      ],
      'fingerprint:b',
    );
    expect(await rh.flushed()).toMatchObject({
      sessions: 2,
      error_sessions: 2,
      error_events: 5,
      installs: 1,
      error_installs: 1,
    });
    // Session ids are the install's: another install's "s1" is another session.
    await rh.errors(
      [errorWindow([{ installHash: uid('other'), sessionId: 's1' }])],
      'fingerprint:c',
    );
    expect(await rh.flushed()).toMatchObject({
      error_sessions: 3,
      error_installs: 2,
    });
  });

  test('a report resent after a lost answer is applied once', async ({ expect }) => {
    const rh = releaseHealth();
    const report = [errorWindow([{ installHash: uid('i'), sessionId: 's' }], 4)];
    await rh.errors(report, 'fingerprint:a', 1);
    await rh.errors(report, 'fingerprint:a', 1);
    // Another object's report number 1 is its own.
    await rh.errors([errorWindow([], 1)], 'fingerprint:b', 1);
    expect(await rh.flushed()).toMatchObject({ error_events: 5, error_sessions: 1 });
  });

  test('one install counts at most the cap per window, however many sessions it claims', async ({
    expect,
  }) => {
    const rh = releaseHealth();
    const noisy = uid('noisy');
    const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    // Every claimed session is new to the object, but only CAP of them count.
    expect(await rh.sessions(noisy, ids(40, 's'))).toEqual({ accepted: 40 });
    await rh.errors([
      errorWindow(ids(30, 's').map((sessionId) => ({ installHash: noisy, sessionId }))),
    ]);
    await rh.sessions(uid('quiet'), ['q1']);
    expect(await rh.flushed()).toMatchObject({
      sessions: CAP + 1,
      error_sessions: CAP,
      error_events: 30,
      installs: 2,
      error_installs: 1,
    });
    // The next window has a cap of its own.
    await rh.sessions(noisy, ids(3, 'n'), T0 + WINDOW_MS);
    expect(await rh.flushed('1.0', T0 + WINDOW_MS)).toMatchObject({ sessions: 3, installs: 1 });
  });

  test('an install is new for its first day only', async ({ expect }) => {
    const rh = releaseHealth();
    const install = uid('install');
    const t = (hours: number) => T0 + hours * 3_600_000;
    await rh.sessions(install, ['a'], t(0));
    await rh.sessions(install, ['b'], t(23));
    await rh.sessions(install, ['c'], t(25));
    const newInstallSessions = async (at: number) =>
      ((await rh.flushed('1.0', windowStart(at))) as { new_install_sessions: number } | null)
        ?.new_install_sessions;
    expect(await newInstallSessions(t(0))).toBe(1);
    expect(await newInstallSessions(t(23))).toBe(1);
    expect(await newInstallSessions(t(25))).toBe(0);
    // An install first heard of through its errors is new from its first error.
    const late = uid('late');
    await rh.errors([
      errorWindow([{ installHash: late, sessionId: 'x', at: t(2) }], 1, windowStart(t(2))),
    ]);
    expect(await rh.flushed('1.0', windowStart(t(2)))).toMatchObject({
      new_install_error_sessions: 1,
    });
  });

  test('a flush that D1 already applied is not applied twice', async ({ expect }) => {
    const rh = releaseHealth();
    await rh.sessions(uid('i'), ['s']);
    await runInDurableObject(rh.stub, async (instance, ctx) => {
      // Simulate a crash after D1 committed but before the object forgot the batch: put the
      // applied batch back as pending and flush again.
      await instance.alarm();
      const marker = await env.DB.prepare(
        'SELECT source, seq FROM ingest_flushes WHERE source = ? ORDER BY rowid DESC LIMIT 1',
      )
        .bind(`release-health:${ctx.id.toString()}`)
        .first<{ source: string; seq: number }>();
      if (marker === null) throw new Error('no flush marker');
      ctx.storage.sql.exec(
        'INSERT INTO pending_flush (seq, statements) VALUES (?, ?)',
        marker.seq,
        JSON.stringify([
          {
            sql: `INSERT INTO release_health (extension_id, version, window_start, error_events) VALUES (?, '9.9.9', 0, 1)
                  ON CONFLICT (extension_id, version, window_start) DO UPDATE SET error_events = error_events + 1`,
            params: [rh.extensionId],
          },
        ]),
      );
      await instance.alarm();
    });
    const row = await env.DB.prepare(
      "SELECT error_events FROM release_health WHERE extension_id = ? AND version = '9.9.9'",
    )
      .bind(rh.extensionId)
      .first<{ error_events: number }>();
    expect(row).toBeNull();
    const pending = await runInDurableObject(
      rh.stub,
      (_i, ctx) =>
        ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM pending_flush').one().n,
    );
    expect(pending).toBe(0);
  });
});
