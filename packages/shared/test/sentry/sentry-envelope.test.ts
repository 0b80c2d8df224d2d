import { describe, test } from 'vitest';
import {
  fromSentrySession,
  fromSentrySessionAggregates,
  INGEST_LIMITS,
  parseSentryEnvelope,
  parseSentryJson,
  SENTRY_LIMITS,
  tallyClientReport,
} from '../../src/index.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

describe('parseSentryEnvelope', () => {
  test('items with and without length, binary payloads, blank lines', ({ expect }) => {
    // An attachment whose bytes hold newlines and invalid UTF-8: only `length` frames it.
    const binary = new Uint8Array([0x0a, 0xff, 0x0a, 0x00]);
    const body = concat(
      utf8('{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1"}\n'),
      utf8('{"type":"event"}\n{"message":"a"}\n'),
      utf8(`{"type":"attachment","length":${binary.length}}\n`),
      binary,
      utf8('\n{"type":"session","length":2}\n{}'),
      utf8('\n\n'),
    );
    const result = parseSentryEnvelope(body);
    if (!result.ok) throw new Error(result.problem);
    expect(result.envelope.header).toEqual({
      event_id: '9ec79c33ec9942ab8353589fcb2e04dc',
      dsn: 'https://k@h/1',
    });
    expect(result.envelope.items.map((i) => i.type)).toEqual(['event', 'attachment', 'session']);
    expect(parseSentryJson(result.envelope.items[0]?.payload ?? new Uint8Array())).toEqual({
      message: 'a',
    });
    expect([...(result.envelope.items[1]?.payload ?? [])]).toEqual([...binary]);
    expect(parseSentryJson(result.envelope.items[2]?.payload ?? new Uint8Array())).toEqual({});
  });

  test('an empty header and a last item without a newline', ({ expect }) => {
    const result = parseSentryEnvelope(utf8('{}\n{"type":"client_report"}\n{"a":1}'));
    expect(result.ok && result.envelope.items.length).toBe(1);
    expect(parseSentryEnvelope(utf8('{}')).ok).toBe(true);
  });

  test.for<[string, string | Uint8Array, string]>([
    ['a header that is not JSON', 'nope\n{"type":"event"}\n{}', 'invalid_envelope'],
    ['an item header without a type', '{}\n{"length":2}\n{}', 'invalid_envelope'],
    ['a length past the end', '{}\n{"type":"event","length":99}\n{}', 'invalid_envelope'],
    ['a negative length', '{}\n{"type":"event","length":-1}\n{}', 'invalid_envelope'],
    [
      'invalid UTF-8 in a header',
      concat(utf8('{"a":"'), new Uint8Array([0xff]), utf8('"}')),
      'invalid_envelope',
    ],
    [
      'more items than allowed',
      `{}\n${'{"type":"client_report"}\n{}\n'.repeat(SENTRY_LIMITS.maxItems + 1)}`,
      'too_many_items',
    ],
  ])('%s', ([, body, problem], { expect }) => {
    expect(parseSentryEnvelope(typeof body === 'string' ? utf8(body) : body)).toEqual({
      ok: false,
      problem,
    });
  });
});

describe('sessions', () => {
  const session = {
    sid: '8d5cf4a2c6b34c3f9a0b1c2d3e4f5a6b',
    init: true,
    started: '2026-05-01T10:00:00.000Z',
    timestamp: '2026-05-01T10:00:00.000Z',
    status: 'ok',
    errors: 0,
    did: 'install-42',
    attrs: { release: 'ext@1.3.0', environment: 'production', user_agent: 'Mozilla/5.0' },
  };

  test('a session start counts once, under the install of its user id', async ({ expect }) => {
    const result = await fromSentrySession(session);
    expect(result).toEqual({
      ok: true,
      installId: expect.stringMatching(/^sentry-[0-9a-f]{32}$/),
      version: '1.3.0',
      sessions: [{ sessionId: session.sid, startedAt: Date.parse(session.started) }],
    });
    expect(JSON.stringify(result)).not.toContain('install-42');
    expect(await fromSentrySession({ ...session, init: false, status: 'errored' })).toEqual({
      ok: false,
      reason: 'not_a_start',
    });
    expect(await fromSentrySession({ ...session, attrs: { release: 'deadbeefcafe' } })).toEqual({
      ok: false,
      reason: 'no_release',
    });
    expect(await fromSentrySession({ ...session, sid: undefined })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  test('aggregates get stable ids per bucket, at most the wire limit', async ({ expect }) => {
    const item = {
      aggregates: [
        { started: '2026-05-01T10:00:00Z', exited: 2, errored: 1 },
        { started: '2026-05-01T10:01:00Z', crashed: 500 },
      ],
      attrs: { release: '1.3.0' },
    };
    const first = await fromSentrySessionAggregates(item);
    if (!first.ok) throw new Error(first.reason);
    expect(first.sessions).toHaveLength(INGEST_LIMITS.maxSessions);
    expect(new Set(first.sessions.map((s) => s.sessionId)).size).toBe(INGEST_LIMITS.maxSessions);
    // Sent again (an SDK retry), the same ids: the install's limiter counts them once.
    expect(await fromSentrySessionAggregates(item)).toEqual(first);
    expect(await fromSentrySessionAggregates({ ...item, aggregates: [{ started: 0 }] })).toEqual({
      ok: false,
      reason: 'not_a_start',
    });
  });

  test('client reports are summed by a closed set of reasons', ({ expect }) => {
    expect(
      tallyClientReport({
        timestamp: 1_750_000_000,
        discarded_events: [
          { reason: 'ratelimit_backoff', category: 'error', quantity: 3 },
          { reason: 'ratelimit_backoff', category: 'session', quantity: 2 },
          { reason: 'before_send', category: 'error', quantity: 1 },
          { reason: 'jane.doe@example.com', category: 'error', quantity: 4 },
        ],
      }),
    ).toEqual({ ratelimit_backoff: 5, before_send: 1, other: 4 });
    expect(tallyClientReport({ discarded_events: [{ reason: 'x' }] })).toBeNull();
  });
});
