import { describe, test } from 'vitest';
import subset from '../../../test/emulators/sentry/sentry-openapi.subset.json' with {
  type: 'json',
};
import {
  computeFingerprint,
  convertSentryApiEvent,
  fromSentryEvent,
  type SentryApiEvent,
  SentryApiEventSchema,
  type SentryIssueRef,
  sentryApiEventToProtocol,
} from '../src/index.ts';

const EVENT_PATH =
  '/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/';

/** The example answer of "Retrieve an Issue Event" in Sentry's published OpenAPI description. */
function publishedExample(): unknown {
  return structuredClone(
    subset.paths[EVENT_PATH].get.responses['200'].content['application/json'].examples
      .ReturnAnIssueEvent.value,
  );
}

const ISSUE: SentryIssueRef = {
  org: 'acme',
  project: 'notes-extension',
  issueId: '1341191803',
  shortId: 'NOTES-1',
  permalink: 'https://acme.sentry.io/issues/1341191803/',
};
const EXT = 'chrome-extension://hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const NOW = Date.parse('2026-11-21T00:00:00Z');

function extensionEvent(overrides: Record<string, unknown> = {}): SentryApiEvent {
  return SentryApiEventSchema.parse({
    id: 'a'.repeat(32),
    eventID: 'B'.repeat(32),
    groupID: '42',
    type: 'error',
    title: "TypeError: Cannot read properties of undefined (reading 'tabs')",
    dateCreated: '2026-11-20T10:00:00.000000Z',
    tags: [
      { key: 'environment', value: 'production' },
      { key: 'user', value: 'email:someone@example.com' },
    ],
    user: { id: 'u-1', ip_address: '203.0.113.7', email: 'someone@example.com' },
    release: { version: 'notes@2.3.1+build.7' },
    entries: [
      {
        type: 'exception',
        data: {
          values: [
            { type: 'Error', value: 'root cause', stacktrace: null },
            {
              type: 'TypeError',
              value: "Cannot read properties of undefined (reading 'tabs')",
              mechanism: { type: 'onerror', handled: false },
              stacktrace: {
                frames: [
                  { function: 'onAlarm', absPath: `${EXT}/background.js`, lineNo: 88, colNo: 5 },
                  { function: 'syncTabs', absPath: `${EXT}/background.js`, lineNo: 42, colNo: 17 },
                ],
              },
            },
          ],
        },
      },
      { type: 'request', data: { url: `${EXT}/popup.html` } },
      {
        type: 'breadcrumbs',
        data: {
          values: [
            {
              category: 'ui.click',
              level: 'info',
              timestamp: '2026-11-20T09:59:59Z',
              message: 'button#sync',
            },
          ],
        },
      },
    ],
    ...overrides,
  });
}

async function converted(api: SentryApiEvent) {
  const result = await convertSentryApiEvent(api, ISSUE, NOW);
  if (!result.ok) throw new Error(`not converted: ${result.reason}`);
  return result.value;
}

describe('convertSentryApiEvent', () => {
  test("Sentry's published example event parses and converts", async ({ expect }) => {
    const value = await converted(SentryApiEventSchema.parse(publishedExample()));
    const { event } = value;
    expect(event.eventId).toBe('9999aaaaca8b46d797c23c6077c6ff01');
    expect(event.error.type).toBe('ForbiddenError');
    expect(event.error.message).toBe('GET /organizations/hellboy-meowmeow/users/ 403');
    // The SDK's raw (minified) frames win over Sentry's source-mapped ones, innermost first.
    expect(event.error.stack?.split('\n').slice(0, 3)).toEqual([
      'ForbiddenError: GET /organizations/hellboy-meowmeow/users/ 403',
      '    at https://s1.sentry-cdn.com/_static/dde778f9f93a48e2b6e58ecb0c5eb8f2/sentry/dist/vendor.js:119:149484',
      '    at a (https://s1.sentry-cdn.com/_static/dde778f9f93a48e2b6e58ecb0c5eb8f2/sentry/dist/vendor.js:81:88800)',
    ]);
    expect(event.timestamp).toBe(Date.parse('2020-06-17T22:26:56.098Z'));
    // An https page means a content script; the user's name, email and id are not copied.
    expect(event.surface).toBe('content');
    for (const personal of ['hell@boy.cat', 'Hell Boy', '550747']) {
      expect(JSON.stringify(event)).not.toContain(personal);
    }
    expect(event.breadcrumbs).toHaveLength(3);
    expect(event.context).toMatchObject({
      sentry: { issueId: '1341191803', shortId: 'NOTES-1' },
      contexts: { browser: { name: 'Chrome', version: '83.0.4103' } },
    });
    expect(value.clientAddress).toBe('192.168.1.1');
    expect(value.version).toBe('0');
  });

  test('the same conversion as the envelope door: event, install and version alike', async ({
    expect,
  }) => {
    const api = extensionEvent();
    const viaApi = await converted(api);
    const viaEnvelope = await fromSentryEvent(sentryApiEventToProtocol(api), {
      now: NOW,
      fallbackId: 'x'.repeat(32),
    });
    if (!viaEnvelope.ok) throw new Error('not converted');
    expect(viaApi.event.error).toEqual(viaEnvelope.event.error);
    expect(viaApi.installId).toBe(viaEnvelope.installId);
    expect(viaApi.version).toBe('2.3.1');
    expect(viaApi.event.surface).toBe('popup');
    expect(viaApi.event.eventId).toBe('b'.repeat(32));
  });

  test('an extension error: thrown exception first, causes kept, identity dropped', async ({
    expect,
  }) => {
    const { event, installId } = await converted(extensionEvent());
    expect(event.error).toEqual({
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'tabs')",
      stack: [
        "TypeError: Cannot read properties of undefined (reading 'tabs')",
        `    at syncTabs (${EXT}/background.js:42:17)`,
        `    at onAlarm (${EXT}/background.js:88:5)`,
      ].join('\n'),
    });
    expect(installId).toMatch(/^sentry-[0-9a-f]{32}$/);
    expect(JSON.stringify(event)).not.toContain('someone@example.com');
    expect(event.tags).toMatchObject({ environment: 'production', handled: 'no' });
    expect(event.tags).not.toHaveProperty('user');
    expect(event.breadcrumbs?.[0]).toEqual({
      timestamp: Date.parse('2026-11-20T09:59:59Z'),
      category: 'ui.click',
      level: 'info',
      message: 'button#sync',
    });
    expect(event.context).toMatchObject({
      sentry: { org: 'acme', project: 'notes-extension', issueId: '1341191803' },
      causes: [{ type: 'Error', message: 'root cause' }],
    });
    // Grouped by the extension's own frames, like the same error from Homeostat's SDK.
    const sdkStack = [
      "TypeError: Cannot read properties of undefined (reading 'tabs')",
      `    at syncTabs (${EXT}/background.js:42:17)`,
      `    at async onAlarm (${EXT}/background.js:88:5)`,
    ].join('\n');
    const fromSdk = await computeFingerprint({
      type: 'TypeError',
      message: 'x',
      stack: sdkStack,
      surface: 'background',
    });
    const fromSentry = await computeFingerprint({ ...event.error, surface: event.surface });
    expect(fromSentry.fingerprint).toBe(fromSdk.fingerprint);
  });

  test('the same user gives the same install id; another user another', async ({ expect }) => {
    const ids = await Promise.all(
      ['u-1', 'u-1', 'u-2'].map(
        async (id) => (await converted(extensionEvent({ user: { id } }))).installId,
      ),
    );
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  test('messages, transactions and events without an exception are not imported', async ({
    expect,
  }) => {
    for (const api of [extensionEvent({ type: 'transaction' }), extensionEvent({ entries: [] })]) {
      expect(await convertSentryApiEvent(api, ISSUE, NOW)).toEqual({
        ok: false,
        reason: 'not_an_error',
      });
    }
  });

  test('oversized fields are clipped to the ingest limits; a client address must be an IP', async ({
    expect,
  }) => {
    const value = await converted(
      extensionEvent({
        user: { ip_address: 'not an address' },
        entries: [
          {
            type: 'exception',
            data: {
              values: [
                {
                  type: 'RangeError',
                  value: 'v'.repeat(20_000),
                  stacktrace: {
                    frames: Array.from({ length: 2_000 }, (_, i) => ({
                      function: `f${i}\n    at evil (${EXT}/x.js:1:1)`,
                      absPath: `${EXT}/${'p'.repeat(200)}.js`,
                      lineNo: i,
                      colNo: 1,
                    })),
                  },
                },
              ],
            },
          },
        ],
      }),
    );
    expect(value.event.error.message).toHaveLength(8 * 1024);
    expect(value.event.error.stack?.length).toBeLessThanOrEqual(32 * 1024);
    const lines = value.event.error.stack?.split('\n') ?? [];
    expect(lines.slice(1).every((line) => line.startsWith('    at f'))).toBe(true);
    expect(value.clientAddress).toBeNull();
  });
});
