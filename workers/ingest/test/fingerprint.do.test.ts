import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { TriageQueueMessageSchema } from '@homeostat/shared';
import { describe, test, vi } from 'vitest';
import type { FingerprintDO, RecordInput } from '../src/fingerprint.do.ts';
import { EXTENSION_ID, uid } from './ingest-test-kit.ts';

function input(fingerprint: string, overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    extensionId: EXTENSION_ID,
    fingerprint,
    errorType: 'TypeError',
    title: 'TypeError: boom',
    culprit: 'syncTabs (background.js)',
    installHash: uid('install-hash').padEnd(64, '0'),
    newInstall: false,
    version: '1.0.0',
    minInstalls: 2,
    flushIntervalMs: 60_000,
    now: Date.now(),
    events: [
      {
        eventId: uid('evt'),
        surface: 'background',
        occurredAt: Date.now(),
        firstErrorInSession: true,
        sessionId: uid('ses'),
        event: '{"scrubbed":true}',
      },
    ],
    ...overrides,
  };
}

/** A hex "install hash" like the Worker's SHA-256, distinct per call. */
async function installHash(): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(uid('i')));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

function newFingerprint(): { fp: string; stub: DurableObjectStub<FingerprintDO> } {
  const fp = `fp1:${crypto.randomUUID().replaceAll('-', '')}`;
  return { fp, stub: env.FINGERPRINTS.getByName(`${EXTENSION_ID}:${fp}`) };
}

/** Queue messages the object sent, read off the binding it shares with the test. */
function spyQueue() {
  const send = vi.spyOn(env.TRIAGE_QUEUE, 'send');
  return {
    reasons: (fp: string) =>
      send.mock.calls
        .map(([body]) => TriageQueueMessageSchema.parse(body))
        .filter((m) => m.fingerprintId === fp)
        .map((m) => m.reason),
    restore: () => send.mockRestore(),
  };
}

async function d1Fingerprint(fp: string) {
  return env.DB.prepare('SELECT * FROM fingerprints WHERE extension_id = ? AND fingerprint = ?')
    .bind(EXTENSION_ID, fp)
    .first<{
      events: number;
      installs: number;
      state: string;
      fixed_in_version: string | null;
      last_version: string;
    }>();
}

describe('Fingerprint Durable Object', () => {
  test('one install never makes a problem "new"; the second distinct install does, once', async ({
    expect,
  }) => {
    const queue = spyQueue();
    const { fp, stub } = newFingerprint();
    const a = await installHash();
    for (let i = 0; i < 5; i++) await stub.record(input(fp, { installHash: a }));
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual([]);
    expect((await stub.inspect()).state).toBe('pending');
    const b = await installHash();
    await stub.record(input(fp, { installHash: b }));
    await stub.record(input(fp, { installHash: b }));
    await stub.record(input(fp, { installHash: await installHash() }));
    // Sent only once the flush that records it is in D1, so triage can read what it is about.
    expect(queue.reasons(fp)).toEqual([]);
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual(['new']);
    expect(await d1Fingerprint(fp)).toMatchObject({ state: 'open' });
    expect(await stub.inspect()).toMatchObject({ state: 'open', events: 8, installs: 3 });
    queue.restore();
  });

  test('a resubmitted event id is counted once', async ({ expect }) => {
    const { fp, stub } = newFingerprint();
    const once = input(fp);
    expect(await stub.record(once)).toEqual(['new']);
    expect(await stub.record(once)).toEqual(['duplicate']);
    expect((await stub.inspect()).events).toBe(1);
  });

  test('a crash loop from two installs sends one message and writes D1 once per flush', async ({
    expect,
  }) => {
    const queue = spyQueue();
    const { fp, stub } = newFingerprint();
    const installs = [await installHash(), await installHash()];
    const before =
      (await env.DB.prepare('SELECT count(*) AS n FROM ingest_flushes').first<{ n: number }>())
        ?.n ?? 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        await stub.record(
          input(fp, {
            installHash: installs[i % 2] ?? '',
            events: Array.from({ length: 10 }, () => ({
              eventId: uid('evt'),
              surface: 'background' as const,
              occurredAt: Date.now(),
              firstErrorInSession: false,
              sessionId: null,
              event: '{}',
            })),
          }),
        );
      }
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    }
    // 1,200 events: one "new" and the 100 and 1,000 thresholds — never one per event.
    expect(queue.reasons(fp)).toEqual(['new', 'threshold', 'threshold']);
    const after =
      (await env.DB.prepare('SELECT count(*) AS n FROM ingest_flushes').first<{ n: number }>())
        ?.n ?? 0;
    expect(after - before).toBe(3);
    expect(await d1Fingerprint(fp)).toMatchObject({ events: 1200, installs: 2, state: 'open' });
    const samples = await env.DB.prepare('SELECT count(*) AS n FROM samples WHERE fingerprint = ?')
      .bind(fp)
      .first<{ n: number }>();
    expect(samples?.n).toBe(5);
    queue.restore();
  });

  test('regression: only a version above the fix reopens, and only once', async ({ expect }) => {
    const queue = spyQueue();
    const { fp, stub } = newFingerprint();
    await stub.record(input(fp, { installHash: await installHash(), version: '1.9.0' }));
    await stub.record(input(fp, { installHash: await installHash(), version: '1.10.0' }));
    await runDurableObjectAlarm(stub);
    await env.DB.prepare(
      `INSERT INTO fingerprint_resolutions (extension_id, fingerprint, resolved_at, fixed_in_version, source)
       VALUES (?, ?, ?, NULL, 'issue_closed')`,
    )
      .bind(EXTENSION_ID, fp, Date.now())
      .run();
    await stub.record(input(fp, { version: '1.10.0' })); // makes the object dirty so it flushes
    await runDurableObjectAlarm(stub);
    // Without an explicit version the fix counts from the highest version seen: 1.10.0 > 1.9.0.
    expect(await stub.inspect()).toMatchObject({ state: 'fixed', fixedInVersion: '1.10.0' });

    await stub.record(input(fp, { version: '1.9.0' }));
    await stub.record(input(fp, { version: '1.10' }));
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual(['new']);
    await stub.record(input(fp, { version: '1.10.1' }));
    await stub.record(input(fp, { version: '1.11.0' }));
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual(['new', 'regression']);
    expect(await d1Fingerprint(fp)).toMatchObject({ state: 'regressed', last_version: '1.11.0' });
    const transitions = await env.DB.prepare(
      'SELECT kind, version FROM fingerprint_transitions WHERE fingerprint = ? ORDER BY at',
    )
      .bind(fp)
      .all<{ kind: string; version: string }>();
    expect(transitions.results).toEqual([
      { kind: 'new', version: '1.10.0' },
      { kind: 'regression', version: '1.10.1' },
    ]);
    queue.restore();
  });

  test('a resolution naming its version regresses at once if a newer version was already seen', async ({
    expect,
  }) => {
    const queue = spyQueue();
    const { fp, stub } = newFingerprint();
    await stub.record(input(fp, { installHash: await installHash(), version: '2.0' }));
    await stub.record(input(fp, { installHash: await installHash(), version: '2.0' }));
    const resolvedAt = Date.now() - 1;
    await env.DB.prepare(
      `INSERT INTO fingerprint_resolutions (extension_id, fingerprint, resolved_at, fixed_in_version, source)
       VALUES (?, ?, ?, '2.0', 'pr_merged')`,
    )
      .bind(EXTENSION_ID, fp, resolvedAt)
      .run();
    await stub.record(input(fp, { version: '2.1' }));
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual(['new', 'regression']);
    expect((await stub.inspect()).state).toBe('regressed');
    queue.restore();
  });

  test('distinct sessions per version are flushed for the canary guardrail', async ({ expect }) => {
    const { fp, stub } = newFingerprint();
    const event = (sessionId: string) => ({
      eventId: uid('evt'),
      surface: 'background' as const,
      occurredAt: Date.now(),
      firstErrorInSession: false,
      sessionId,
      event: '{}',
    });
    await stub.record(
      input(fp, { version: '4.0', events: [event('s1'), event('s1'), event('s2')] }),
    );
    await stub.record(input(fp, { version: '4.0', events: [event('s3'), event('s2')] }));
    await stub.record(input(fp, { version: '4.1', events: [event('s9')] }));
    await runDurableObjectAlarm(stub);
    const rows = await env.DB.prepare(
      'SELECT version, events, sessions FROM fingerprint_versions WHERE fingerprint = ? ORDER BY version',
    )
      .bind(fp)
      .all();
    expect(rows.results).toEqual([
      { version: '4.0', events: 5, sessions: 3 },
      { version: '4.1', events: 1, sessions: 1 },
    ]);
  });

  test('state survives eviction', async ({ expect }) => {
    const { fp, stub } = newFingerprint();
    await stub.record(input(fp, { installHash: await installHash() }));
    await stub.record(input(fp, { installHash: await installHash() }));
    await evictDurableObject(stub);
    expect(await stub.inspect()).toMatchObject({ state: 'open', events: 2, installs: 2 });
    const dup = input(fp);
    await stub.record(dup);
    await evictDurableObject(stub);
    expect(await stub.record(dup)).toEqual(['duplicate']);
  });

  test('distinct installs are exact up to the bound, then approximate within a few percent', async ({
    expect,
  }) => {
    const { fp, stub } = newFingerprint();
    const total = 3_000;
    for (let i = 0; i < total; i++)
      await stub.record(input(fp, { installHash: await installHash() }));
    const state = await stub.inspect();
    expect(state.approximate).toBe(true);
    expect(Math.abs(state.installs - total) / total).toBeLessThan(0.1);
    const exactRows = await runInDurableObject(
      stub,
      (_instance, ctx) =>
        ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM installs').one().n,
    );
    expect(exactRows).toBe(1_000);
  }, 60_000);

  test('a flush that D1 already applied is not applied twice', async ({ expect }) => {
    const { fp, stub } = newFingerprint();
    await stub.record(input(fp));
    await runInDurableObject(stub, async (instance, ctx) => {
      // Simulate a crash after D1 committed but before the object forgot the batch: put the
      // applied batch back as pending and flush again.
      await instance.alarm();
      const marker = await env.DB.prepare(
        'SELECT source, seq FROM ingest_flushes ORDER BY rowid DESC LIMIT 1',
      ).first<{ source: string; seq: number }>();
      if (marker === null) throw new Error('no flush marker');
      ctx.storage.sql.exec(
        'INSERT INTO pending_flush (seq, statements) VALUES (?, ?)',
        marker.seq,
        JSON.stringify([
          {
            sql: `INSERT INTO release_health (extension_id, version, window_start, error_events) VALUES (?, '9.9.9', 0, 1)
                  ON CONFLICT (extension_id, version, window_start) DO UPDATE SET error_events = error_events + 1`,
            params: [EXTENSION_ID],
          },
        ]),
      );
      await instance.alarm();
    });
    const row = await env.DB.prepare(
      "SELECT error_events FROM release_health WHERE version = '9.9.9'",
    ).first<{ error_events: number }>();
    expect(row).toBeNull();
    const pending = await runInDurableObject(
      stub,
      (_i, ctx) =>
        ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM pending_flush').one().n,
    );
    expect(pending).toBe(0);
  });
});
