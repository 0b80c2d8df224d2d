import { defaultStackParser, exceptionFromError } from '@sentry/browser';
import { describe, test } from 'vitest';
import { stackFixture, stackFixtureNames } from '../../../../test/fixtures/stacks/index.ts';
import {
  computeFingerprint,
  extensionVersionOfRelease,
  fromSentryEvent,
  INGEST_LIMITS,
  type SentryEventResult,
  sentrySurface,
} from '../../src/index.ts';

const EXT = 'chrome-extension://kembcdlbgbcnnchcnbdhbmbhbejnedjf';
const OPTIONS = { now: 1_750_000_000_000, fallbackId: 'f'.repeat(32) };

function converted(result: SentryEventResult) {
  if (!result.ok) throw new Error(`not converted: ${result.reason}`);
  return result;
}

describe('the same throw groups alike from Sentry and from Homeostat’s SDK', () => {
  // Every recorded stack (Chrome, Firefox, Safari): sentry-javascript's own parser turns it into
  // frames as it does in the browser, the conversion prints them back, and the fingerprint is
  // the one of the raw stack Homeostat's SDK sends.
  test.for(stackFixtureNames)('%s', async (name, { expect }) => {
    const fixture = stackFixture(name);
    const error = Object.assign(new Error(fixture.message), { name: fixture.type });
    if (fixture.stack === undefined) delete (error as { stack?: string }).stack;
    else error.stack = fixture.stack;
    const exception = exceptionFromError(defaultStackParser, error);
    const { event } = converted(
      await fromSentryEvent({ exception: { values: [exception] } }, OPTIONS),
    );
    // The surface only counts for frameless errors, where the SDK's page URL would tell it.
    const fromSentry = await computeFingerprint({ ...event.error, surface: fixture.surface });
    expect(fromSentry.components).toEqual((await computeFingerprint(fixture)).components);
  });
});

describe('fromSentryEvent', () => {
  test('maps an error event with causes, breadcrumbs, tags and contexts; drops the user', async ({
    expect,
  }) => {
    const result = converted(
      await fromSentryEvent(
        {
          event_id: '0123456789abcdef0123456789abcdef',
          timestamp: 1_750_000_000.25,
          level: 'error',
          release: 'my-extension@2.4.1',
          environment: 'production',
          exception: {
            values: [
              { type: 'SyntaxError', value: 'Unexpected token <', stacktrace: { frames: [] } },
              {
                type: 'TypeError',
                value: 'sync failed',
                mechanism: { type: 'onunhandledrejection', handled: false },
                stacktrace: {
                  frames: [
                    { filename: `${EXT}/background.js`, function: '?', lineno: 90, colno: 3 },
                    {
                      filename: `${EXT}/background.js`,
                      function: 'async syncBatch',
                      lineno: 42,
                      colno: 17,
                    },
                  ],
                },
              },
            ],
          },
          breadcrumbs: {
            values: [
              { timestamp: 1_749_999_999.5, category: 'console', level: 'log', message: 'hi' },
              { timestamp: 1_749_999_999.75, type: 'http', level: 'fatal', data: { a: 1 } },
            ],
          },
          tags: { feature: 'sync', retries: 3, bad: { nested: true } },
          contexts: { trace: { trace_id: 't'.repeat(32) }, culture: { locale: 'en-US' } },
          extra: { batchSize: 20 },
          user: { id: 'install-42', email: 'jane.doe@example.com', ip_address: '203.0.113.9' },
          request: { url: `${EXT}/background.js`, headers: { Cookie: 'sid=secret' } },
          sdk: { name: 'sentry.javascript.browser', version: '11.12.0' },
        },
        OPTIONS,
      ),
    );
    expect(result.version).toBe('2.4.1');
    expect(result.event).toEqual({
      eventId: '0123456789abcdef0123456789abcdef',
      timestamp: 1_750_000_000_250,
      surface: 'background',
      error: {
        type: 'TypeError',
        message: 'sync failed',
        stack: [
          'TypeError: sync failed',
          `    at async syncBatch (${EXT}/background.js:42:17)`,
          `    at ${EXT}/background.js:90:3`,
        ].join('\n'),
      },
      breadcrumbs: [
        { timestamp: 1_749_999_999_500, category: 'console', level: 'info', message: 'hi' },
        { timestamp: 1_749_999_999_750, category: 'http', level: 'error', data: { a: 1 } },
      ],
      tags: {
        feature: 'sync',
        retries: '3',
        mechanism: 'onunhandledrejection',
        handled: 'no',
        level: 'error',
        environment: 'production',
      },
      context: {
        sdk: 'sentry.javascript.browser/11.12.0',
        page: 'background.js',
        causes: [{ type: 'SyntaxError', message: 'Unexpected token <' }],
        contexts: { culture: { locale: 'en-US' } },
        extra: { batchSize: 20 },
      },
    });
    const text = JSON.stringify(result);
    for (const personal of ['jane.doe', '203.0.113.9', 'install-42', 'secret']) {
      expect(text).not.toContain(personal);
    }
  });

  test('the install is the hashed user id, else the trace, else the event', async ({ expect }) => {
    const install = async (event: object) =>
      converted(
        await fromSentryEvent(
          { exception: { values: [{ type: 'Error', value: 'x' }] }, ...event },
          OPTIONS,
        ),
      ).installId;
    const user = await install({ user: { id: 'install-42' } });
    expect(user).toMatch(/^sentry-[0-9a-f]{32}$/);
    expect(await install({ user: { id: 'install-42' }, event_id: 'b'.repeat(32) })).toBe(user);
    expect(await install({ user: { id: 'install-43' } })).not.toBe(user);
    const trace = { contexts: { trace: { trace_id: 'c'.repeat(32) } } };
    expect(await install({ ...trace, event_id: 'd'.repeat(32) })).toBe(
      await install({ ...trace, event_id: 'e'.repeat(32) }),
    );
    expect(await install({ event_id: 'd'.repeat(32) })).not.toBe(
      await install({ event_id: 'e'.repeat(32) }),
    );
  });

  test('messages, captured strings and feedback', async ({ expect }) => {
    const message = converted(
      await fromSentryEvent({ message: 'quota low', level: 'info' }, OPTIONS),
    );
    expect(message.event.error).toEqual({ type: 'Message', message: 'quota low' });
    expect(message.event.tags?.mechanism).toBe('manual');
    const captured = converted(
      await fromSentryEvent({ logentry: { formatted: 'boom' }, level: 'error' }, OPTIONS),
    );
    expect(captured.event.error).toEqual({ type: 'Error', message: 'boom' });
    const feedback = converted(
      await fromSentryEvent(
        {
          type: 'feedback',
          contexts: {
            feedback: { message: 'The popup is blank', contact_email: 'jane.doe@example.com' },
          },
          request: { url: `${EXT}/popup.html` },
        },
        OPTIONS,
      ),
    );
    expect(feedback.event).toMatchObject({
      surface: 'popup',
      error: { type: 'UserReport', message: 'The popup is blank' },
      userReport: { description: 'The popup is blank' },
    });
    expect(JSON.stringify(feedback)).not.toContain('jane.doe');
  });

  test('a content script’s host page is never kept', async ({ expect }) => {
    const result = converted(
      await fromSentryEvent(
        {
          exception: { values: [{ type: 'Error', value: 'x' }] },
          request: { url: 'https://shop.example.com/cart?user=jane' },
        },
        OPTIONS,
      ),
    );
    expect(result.event.surface).toBe('content');
    expect(JSON.stringify(result)).not.toContain('shop.example.com');
  });

  test('everything is cut to the wire limits; what does not fit is named', async ({ expect }) => {
    const result = converted(
      await fromSentryEvent(
        {
          exception: {
            values: [{ type: 'E'.repeat(500), value: 'm'.repeat(20_000) }],
          },
          breadcrumbs: Array.from({ length: 300 }, (_, i) => ({
            message: `crumb ${i} ${'x'.repeat(2_000)}`,
            data: { big: 'y'.repeat(5_000) },
          })),
          tags: Object.fromEntries(
            Array.from({ length: 80 }, (_, i) => [`t${i}`, 'v'.repeat(900)]),
          ),
          extra: { blob: 'z'.repeat(40_000) },
          contexts: { culture: { locale: 'en-US' } },
        },
        OPTIONS,
      ),
    );
    const { event } = result;
    expect(event.error.type).toHaveLength(INGEST_LIMITS.type);
    expect(event.error.message).toHaveLength(INGEST_LIMITS.message);
    expect(event.breadcrumbs).toHaveLength(INGEST_LIMITS.breadcrumbs);
    expect(event.breadcrumbs?.[0]?.message).toMatch(/^crumb 200 /);
    expect(event.breadcrumbs?.[0]?.data).toBeUndefined();
    expect(Object.keys(event.tags ?? {})).toHaveLength(INGEST_LIMITS.tags);
    expect(event.tags?.mechanism).toBe('manual');
    expect(event.context).toEqual({
      contexts: { culture: { locale: 'en-US' } },
      omitted: ['extra'],
    });
  });

  test('what is not an error event is skipped with a reason', async ({ expect }) => {
    expect(await fromSentryEvent('text', OPTIONS)).toEqual({ ok: false, reason: 'invalid' });
    expect(await fromSentryEvent([], OPTIONS)).toEqual({ ok: false, reason: 'invalid' });
    expect(await fromSentryEvent({ type: 'transaction', spans: [] }, OPTIONS)).toEqual({
      ok: false,
      reason: 'not_an_error',
    });
    // A malformed optional field is dropped, as Relay does, rather than losing the error.
    const lenient = converted(
      await fromSentryEvent(
        { exception: { values: [{ type: 'Error', value: 'x' }] }, tags: 5, breadcrumbs: 'no' },
        OPTIONS,
      ),
    );
    expect(lenient.event.error).toEqual({ type: 'Error', message: 'x' });
    expect(lenient.event.eventId).toBe(OPTIONS.fallbackId);
  });
});

describe('release and surface', () => {
  test.for<[string | undefined, string | null]>([
    ['1.4.2', '1.4.2'],
    ['my-extension@1.4.2', '1.4.2'],
    ['@scope/pkg@v2.0', '2.0'],
    ['ext@1.4.2-beta.1', '1.4.2'],
    ['ext@1.4.2+build.7', '1.4.2'],
    ['1.2.3.4', '1.2.3.4'],
    ['1.2.3.4.5', null],
    ['70000.1', null],
    ['3f2a1c9e8d7b', null],
    [undefined, null],
  ])('release %s → %s', ([release, version], { expect }) => {
    expect(extensionVersionOfRelease(release)).toBe(version);
  });

  test.for<[string | undefined, string | undefined, string]>([
    ['offscreen', `${EXT}/popup.html`, 'offscreen'],
    ['nonsense', `${EXT}/popup.html`, 'popup'],
    [undefined, `${EXT}/background.js`, 'background'],
    [undefined, `${EXT}/sw.mjs`, 'background'],
    [undefined, `${EXT}/pages/options.html#general`, 'options'],
    [undefined, `${EXT}/side_panel.html`, 'sidepanel'],
    [undefined, `${EXT}/devtools.html`, 'devtools'],
    [undefined, `${EXT}/welcome.html`, 'page'],
    [undefined, 'moz-extension://8ca81811-66d2/popup.html', 'popup'],
    [undefined, 'https://shop.example.com/', 'content'],
    [undefined, 'about:blank', 'unknown'],
    [undefined, undefined, 'unknown'],
  ])('tag %s, url %s → %s', ([tag, url, surface], { expect }) => {
    expect(sentrySurface(tag, url)).toBe(surface);
  });

  test('no page URL from the browser SDK: the service worker, which has no document', async ({
    expect,
  }) => {
    expect(sentrySurface(undefined, '', true)).toBe('background');
    const event = (sdk: string) =>
      fromSentryEvent(
        { message: 'x', sdk: { name: sdk, version: '11.12.0' }, request: { url: '' } },
        OPTIONS,
      );
    expect(converted(await event('sentry.javascript.browser')).event.surface).toBe('background');
    expect(converted(await event('sentry.python')).event.surface).toBe('unknown');
  });
});
