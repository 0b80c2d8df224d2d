import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { TriageQueueMessageSchema } from '@homeostat/shared';
import { describe, test, vi } from 'vitest';
import { type FingerprintDO, type RecordInput, SAMPLES_KEPT } from '../src/fingerprint.do.ts';
import { COUNTS_REFRESH_MS } from '../src/fingerprint-projection.ts';
import { UNKNOWN_NETWORK } from '../src/network-prefix.ts';
import { EXTENSION_ID, uid } from './ingest-test-kit.ts';

function input(fingerprint: string, overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    extensionId: EXTENSION_ID,
    fingerprint,
    errorType: 'TypeError',
    title: 'TypeError: boom',
    culprit: 'syncTabs (background.js)',
    installHash: uid('install-hash').padEnd(64, '0'),
    // A network of its own per call unless a test says otherwise: these tests are about installs.
    network: uid('net'),
    version: '1.0.0',
    minInstalls: 2,
    minNetworks: 2,
    flushIntervalMs: 60_000,
    now: Date.now(),
    events: [
      {
        eventId: uid('evt'),
        surface: 'background',
        occurredAt: Date.now(),
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

/** D1 batches sent while the spy is on, with D1's own rows_written of each. */
function spyD1() {
  const original = env.DB.batch.bind(env.DB);
  const rows: number[] = [];
  const batch = vi.spyOn(env.DB, 'batch').mockImplementation(async (statements) => {
    const results = await original(statements);
    rows.push(results.reduce((n, r) => n + r.meta.rows_written, 0));
    return results;
  });
  return {
    batches: () => rows.length,
    rowsWritten: () => rows.slice(),
    restore: () => batch.mockRestore(),
  };
}

/** Triage's side of a resolution: the D1 row, then the push through ingest's RPC entrypoint. */
async function resolve(fp: string, r: { fixedInVersion: string | null; resolvedAt: number }) {
  await writeResolution(fp, r);
  await exports.IngestRpc.resolutionChanged({ extensionId: EXTENSION_ID, fingerprint: fp });
}

async function writeResolution(
  fp: string,
  r: { fixedInVersion: string | null; resolvedAt: number },
) {
  await env.DB.prepare(
    `INSERT INTO fingerprint_resolutions (extension_id, fingerprint, resolved_at, fixed_in_version, source)
     VALUES (?, ?, ?, ?, 'issue_closed')
     ON CONFLICT (extension_id, fingerprint) DO UPDATE SET resolved_at = excluded.resolved_at,
       fixed_in_version = excluded.fixed_in_version`,
  )
    .bind(EXTENSION_ID, fp, r.resolvedAt, r.fixedInVersion)
    .run();
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
    const d1 = spyD1();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        await stub.record(
          input(fp, {
            installHash: installs[i % 2] ?? '',
            events: Array.from({ length: 10 }, () => ({
              eventId: uid('evt'),
              surface: 'background' as const,
              occurredAt: Date.now(),
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
    expect(d1.batches()).toBe(3);
    d1.restore();
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
    await resolve(fp, { fixedInVersion: null, resolvedAt: Date.now() });
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
    const resolution = { fixedInVersion: '2.0', resolvedAt: Date.now() - 1 };
    await writeResolution(fp, resolution);
    await stub.record(input(fp, { version: '2.1' }));
    // Triage's push arrives after the newer version was seen.
    await exports.IngestRpc.resolutionChanged({ extensionId: EXTENSION_ID, fingerprint: fp });
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
    // Calls in flight together: the object still takes them one at a time, without a round trip
    // between each.
    for (let i = 0; i < total; i += 250) {
      const hashes = await Promise.all(Array.from({ length: 250 }, installHash));
      await Promise.all(hashes.map((h) => stub.record(input(fp, { installHash: h }))));
    }
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
});

describe('"new" needs more than client-chosen install ids (issue 11, item 2)', () => {
  test('installs from one network stay pending; a second network makes the problem new', async ({
    expect,
  }) => {
    const queue = spyQueue();
    const { fp, stub } = newFingerprint();
    for (let i = 0; i < 5; i++) {
      await stub.record(input(fp, { installHash: await installHash(), network: 'v4:203.0.113' }));
    }
    await runDurableObjectAlarm(stub);
    expect(await stub.inspect()).toMatchObject({ state: 'pending', installs: 5 });
    expect(queue.reasons(fp)).toEqual([]);
    await stub.record(input(fp, { installHash: await installHash(), network: 'v4:198.51.100' }));
    await runDurableObjectAlarm(stub);
    expect(queue.reasons(fp)).toEqual(['new']);
    queue.restore();
  });

  test('clients without an address are one network, however many installs they claim', async ({
    expect,
  }) => {
    const { fp, stub } = newFingerprint();
    for (let i = 0; i < 20; i++) {
      await stub.record(input(fp, { installHash: await installHash(), network: UNKNOWN_NETWORK }));
    }
    expect(await stub.inspect()).toMatchObject({ state: 'pending', installs: 20 });
  });

  test('only salted hashes are kept, only while pending, and only as many as the gate needs', async ({
    expect,
  }) => {
    const { fp, stub } = newFingerprint();
    const kept = () =>
      runInDurableObject(stub, (_i, ctx) =>
        ctx.storage.sql
          .exec<{ network_hash: string }>('SELECT network_hash FROM networks')
          .toArray()
          .map((r) => r.network_hash),
      );
    const a = await installHash();
    await stub.record(input(fp, { installHash: a, network: 'v4:203.0.113', minNetworks: 3 }));
    await stub.record(input(fp, { installHash: a, network: 'v6:2001:db8:1', minNetworks: 3 }));
    const hashes = await kept();
    expect(hashes).toHaveLength(2);
    for (const h of hashes) expect(h).toMatch(/^[0-9a-f]{24}$/);
    // Another problem salts the same prefix differently: the hashes cannot be joined.
    const other = newFingerprint();
    await other.stub.record(input(other.fp, { installHash: a, network: 'v4:203.0.113' }));
    const otherHashes = await runInDurableObject(other.stub, (_i, ctx) =>
      ctx.storage.sql.exec<{ network_hash: string }>('SELECT network_hash FROM networks').one(),
    );
    expect(hashes).not.toContain(otherHashes.network_hash);
    await stub.record(input(fp, { installHash: await installHash(), network: 'v4:192.0.2' }));
    expect((await stub.inspect()).state).toBe('open');
    expect(await kept()).toEqual([]);
  });
});

describe('resolutions are pushed, not polled (issue 14, item 3)', () => {
  async function openProblem() {
    const { fp, stub } = newFingerprint();
    await stub.record(input(fp, { installHash: await installHash() }));
    await stub.record(input(fp, { installHash: await installHash() }));
    await runDurableObjectAlarm(stub);
    return { fp, stub };
  }

  test("an alarm does not read D1 for a resolution; triage's push applies it at once", async ({
    expect,
  }) => {
    const { fp, stub } = await openProblem();
    expect((await stub.inspect()).state).toBe('open');
    await writeResolution(fp, { fixedInVersion: null, resolvedAt: Date.now() });
    const prepare = vi.spyOn(env.DB, 'prepare');
    await stub.record(input(fp));
    await runDurableObjectAlarm(stub);
    const asked = prepare.mock.calls.some(([sql]) => sql.includes('fingerprint_resolutions'));
    prepare.mockRestore();
    expect(asked).toBe(false);
    expect((await stub.inspect()).state).toBe('open');

    await exports.IngestRpc.resolutionChanged({ extensionId: EXTENSION_ID, fingerprint: fp });
    expect(await stub.inspect()).toMatchObject({ state: 'fixed', fixedInVersion: '1.0.0' });
    // At least once: a repeated push changes nothing.
    await exports.IngestRpc.resolutionChanged({ extensionId: EXTENSION_ID, fingerprint: fp });
    expect(await stub.inspect()).toMatchObject({ state: 'fixed', fixedInVersion: '1.0.0' });
  });

  test('a lost push is caught by the hourly look at the durable D1 row', async ({ expect }) => {
    const { fp, stub } = await openProblem();
    await writeResolution(fp, { fixedInVersion: '1.0.0', resolvedAt: Date.now() });
    await runInDurableObject(stub, (_i, ctx) => {
      ctx.storage.sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'resolution_checked_at'",
        Date.now() - 2 * 3_600_000,
      );
    });
    await stub.record(input(fp));
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect()).state).toBe('fixed');
    expect(await d1Fingerprint(fp)).toMatchObject({ state: 'fixed', fixed_in_version: '1.0.0' });
  });

  test('the entrypoint refuses what is not a fingerprint of a configured-looking extension', async ({
    expect,
  }) => {
    expect(
      await exports.IngestRpc.resolutionChanged({ extensionId: 'nope', fingerprint: 'fp1:x' }),
    ).toEqual({ status: 'invalid_request' });
    expect(
      await exports.IngestRpc.resolutionChanged({ extensionId: EXTENSION_ID, fingerprint: '../x' }),
    ).toEqual({ status: 'invalid_request' });
  });
});

describe('D1 rows bounded by fingerprints × flushes (issue 14, item 2)', () => {
  const burst = (n: number) =>
    Array.from({ length: n }, () => ({
      eventId: uid('evt'),
      surface: 'background' as const,
      occurredAt: Date.now(),
      sessionId: null,
      event: '{"scrubbed":true}',
    }));

  test('a flush rewrites only changed rows, and samples change in D1 only when the reservoir does', async ({
    expect,
  }) => {
    const { fp, stub } = newFingerprint();
    const installs = [await installHash(), await installHash()];
    const d1 = spyD1();
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) {
        await stub.record(
          input(fp, {
            installHash: installs[i % 2] ?? '',
            version: i % 2 === 0 ? '1.0' : '1.1',
            events: burst(5),
          }),
        );
      }
      await runDurableObjectAlarm(stub);
    }
    const rows = d1.rowsWritten();
    d1.restore();
    expect(rows).toHaveLength(10);
    // The first flush inserts the problem, its two versions, five samples and the "new"
    // transition, each row with its index entries.
    expect(rows[0]).toBeLessThanOrEqual(30);
    // Then each flush updates the problem's row and its two versions' rows in place (the 100-event
    // threshold adds its transition once): no samples rewritten, no flush markers.
    const later = rows.slice(1);
    expect(later.filter((n) => n === 3)).toHaveLength(8);
    expect(Math.max(...later)).toBeLessThanOrEqual(5);
    const samples = await env.DB.prepare('SELECT count(*) AS n FROM samples WHERE fingerprint = ?')
      .bind(fp)
      .first<{ n: number }>();
    expect(samples?.n).toBe(SAMPLES_KEPT);
  });

  test('the kept samples are a fair draw of all events, not the last ones', async ({ expect }) => {
    const { fp, stub } = newFingerprint();
    const events = burst(400);
    for (let i = 0; i < events.length; i += 50) {
      await stub.record(input(fp, { events: events.slice(i, i + 50) }));
    }
    const kept = await runInDurableObject(stub, (_i, ctx) =>
      ctx.storage.sql
        .exec<{ event_id: string }>('SELECT event_id FROM reservoir')
        .toArray()
        .map((r) => events.findIndex((e) => e.eventId === r.event_id)),
    );
    expect(kept).toHaveLength(SAMPLES_KEPT);
    // "The last five" would be 395..399; a uniform draw of 5 from 400 almost never is
    // (and never all of them above 350 but with probability (50/400)^5 ≈ 3e-5).
    expect(kept.some((i) => i < 350)).toBe(true);
  });

  test('a count-only change waits for the minute; a transition is flushed within the interval', async ({
    expect,
  }) => {
    const { fp, stub } = newFingerprint();
    const alarmAt = () => runInDurableObject(stub, (_i, ctx) => ctx.storage.getAlarm());
    const flushIntervalMs = 5_000;
    const a = await installHash();
    const first = Date.now();
    await stub.record(input(fp, { installHash: a, flushIntervalMs, now: first }));
    // A problem D1 has never seen is projected soon.
    expect(await alarmAt()).toBe(first + flushIntervalMs);
    await runDurableObjectAlarm(stub);
    const flushedAt = await runInDurableObject(
      stub,
      (_i, ctx) =>
        ctx.storage.sql
          .exec<{ value: number }>("SELECT value FROM meta WHERE key = 'flushed_at'")
          .one().value,
    );
    const now = Date.now();
    await stub.record(input(fp, { installHash: a, flushIntervalMs, now }));
    expect(await alarmAt()).toBe(Math.max(now + flushIntervalMs, flushedAt + COUNTS_REFRESH_MS));
    await stub.record(input(fp, { installHash: await installHash(), flushIntervalMs, now }));
    expect((await stub.inspect()).state).toBe('open');
    expect(await alarmAt()).toBe(now + flushIntervalMs);

    // Crossing 100 events only moves the numbers: it waits for the counts refresh.
    await runDurableObjectAlarm(stub);
    const opened = Date.now();
    await stub.record(
      input(fp, { installHash: a, flushIntervalMs, now: opened, events: burst(100) }),
    );
    const pending = await runInDurableObject(stub, (_i, ctx) =>
      ctx.storage.sql
        .exec<{ kind: string }>('SELECT kind FROM transitions WHERE flushed = 0')
        .toArray(),
    );
    expect(pending).toEqual([{ kind: 'threshold' }]);
    expect(await alarmAt()).toBeGreaterThanOrEqual(opened + COUNTS_REFRESH_MS - 1_000);
  });
});
