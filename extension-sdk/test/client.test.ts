import { afterEach, beforeEach, describe, test, vi } from 'vitest';
import * as api from '../src/api.ts';
import { INSTALL_KEY } from '../src/hub.ts';
import { init } from '../src/index.ts';
import { pageClient } from '../src/relay.ts';
import { detectSurface } from '../src/surface.ts';
import { SDK_VERSION } from '../src/version.ts';
import { ChromeBackend } from './support/fake-chrome.ts';
import { createHarness, ENDPOINT, FAKE_TIMERS, KEY, settle } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
  vi.setSystemTime(Date.parse('2026-03-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

const EXT = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';

describe('what every event carries', () => {
  test('sdk, extension id and manifest version, install id, surface, session', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client } = h.worker;
    client.captureException(new Error('boom'));
    await client.flush();
    const [request] = h.ingest.eventRequests();
    const install = h.backend.local.peek(INSTALL_KEY);
    expect(install).toMatch(/^[0-9a-f]{32}$/);
    expect(request?.body).toMatchObject({
      sdk: { name: 'homeostat.extension', version: SDK_VERSION },
      extension: { id: h.backend.id, version: '1.4.2' },
      install: { id: install },
    });
    const [session] = h.ingest.sessions();
    expect(request?.body.events?.[0]).toMatchObject({
      surface: 'background',
      sessionId: session?.sessionId,
      error: { type: 'Error', message: 'boom' },
      tags: { mechanism: 'manual' },
    });
    expect(h.ingest.invalid).toEqual([]);
  });

  test('the install id is kept; a session spans worker restarts but not browser restarts', async ({
    expect,
  }) => {
    const h = createHarness();
    await h.worker.client.flush();
    const install = h.backend.local.peek(INSTALL_KEY);
    h.restartWorker();
    await h.worker.client.flush();
    expect(h.ingest.sessions()).toHaveLength(1);
    h.backend.restartBrowser();
    const after = h.startWorker();
    after.client.captureException(new Error('after restart'));
    await after.client.flush();
    const sessions = h.ingest.sessions().map((s) => s.sessionId);
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).not.toBe(sessions[1]);
    expect(h.ingest.events()[0]?.sessionId).toBe(sessions[1]);
    expect(h.backend.local.peek(INSTALL_KEY)).toBe(install);
    expect(new Set(h.ingest.requests.map((r) => (r.body.install as { id: string }).id))).toEqual(
      new Set([install]),
    );
  });

  test('without a working storage.session, a session is one worker’s life and events flow', async ({
    expect,
  }) => {
    const h = createHarness();
    h.backend.session.get = () => Promise.reject(new Error('storage.session is not available'));
    h.worker.client.captureException(new Error('still reported'));
    await h.worker.client.flush();
    expect(h.ingest.events().map((e) => e.error.message)).toEqual(['still reported']);
    expect(h.ingest.sessions()).toHaveLength(1);
  });

  test('any thrown value becomes a wire error, described by keys rather than values', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client } = h.worker;
    client.captureException('plain string');
    client.captureException({ userEmail: 'x', reason: 'y' });
    client.captureException(null);
    client.captureException(new DOMException('aborted', 'AbortError'));
    client.captureMessage('checkpoint reached');
    await client.flush();
    expect(h.ingest.events().map((e) => [e.error.type, e.error.message])).toEqual([
      ['Error', 'plain string'],
      ['Error', 'Object captured as exception with keys: reason, userEmail'],
      ['Error', 'null'],
      ['AbortError', 'aborted'],
      ['Message', 'checkpoint reached'],
    ]);
  });

  test('fields are cut to the wire limits', async ({ expect }) => {
    const h = createHarness();
    const { client } = h.worker;
    const error = new Error('m'.repeat(20_000));
    error.name = 'N'.repeat(300);
    error.stack = `${error.name}\n${'    at f (x.js:1:1)\n'.repeat(3_000)}`;
    client.addBreadcrumb({
      category: 'c'.repeat(100),
      message: 'b'.repeat(2_000),
      data: { big: 'd'.repeat(3_000) },
    });
    client.captureException(error, {
      tags: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, 'v'.repeat(300)])),
      context: { huge: 'h'.repeat(20_000) },
    });
    await client.flush();
    expect(h.ingest.invalid).toEqual([]);
    const [sent] = h.ingest.events();
    expect(sent?.error.type).toHaveLength(200);
    expect(sent?.context).toBeUndefined();
    expect(sent?.breadcrumbs?.[0]?.data).toBeUndefined();
  });
  test('a field that scrubbing lengthens is cut again, so ingest never refuses the batch', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client } = h.worker;
    // Each `pwd=x` (5 units) becomes `pwd=[Filtered]` (14): at the limit before scrubbing,
    // far over it after.
    const secrets = (n: number) => 'pwd=x '.repeat(n);
    const error = new Error(secrets(1_400));
    client.addBreadcrumb({ category: 'ui', message: secrets(200) });
    client.captureException(error, { tags: { note: secrets(50) } });
    client.report(secrets(700));
    await client.flush();
    expect(h.ingest.invalid).toEqual([]);
    const [first, second] = h.ingest.events();
    expect(first?.error.message).toHaveLength(8 * 1024);
    expect(first?.error.message).toMatch(/^pwd=\[Filtered\] /);
    expect(first?.tags?.note).toHaveLength(256);
    expect(first?.breadcrumbs?.[0]?.message).toHaveLength(1024);
    expect(second?.userReport?.description).toHaveLength(4 * 1024);
  });
});

describe('scrubbing and beforeSend', () => {
  const PII = [
    'jane.doe@example.com',
    'sk-live-abcdefghijklmnopqrstuvwxyz012345',
    '4111 1111 1111 1111',
  ];

  test('PII is scrubbed before anything is stored or sent', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 60_000 });
    const { client } = h.worker;
    client.addBreadcrumb({ category: 'ui', message: `signed in as ${PII[0]}` });
    const error = new Error(`payment for ${PII[0]} with card ${PII[2]} failed`);
    client.captureException(error, { context: { apiKey: PII[1], note: `token=${PII[1]}` } });
    await settle();
    // Queued, not yet sent: what is at rest in chrome.storage is already scrubbed.
    expect(h.ingest.eventRequests()).toHaveLength(0);
    const stored = JSON.stringify(Object.fromEntries(h.backend.local.data));
    expect(stored).toContain('[email]');
    await client.flush();
    const sent = JSON.stringify(h.ingest.requests.map((r) => r.body));
    expect(sent).toContain('[email]');
    for (const value of PII) {
      expect(stored).not.toContain(value);
      expect(sent).not.toContain(value);
    }
  });

  test('beforeSend runs first: it can edit, add (then scrubbed) or drop', async ({ expect }) => {
    const h = createHarness({
      beforeSend(event) {
        if (event.error.message.includes('ignore me')) return null;
        return { ...event, tags: { ...event.tags, edited: 'yes', owner: 'bob@example.com' } };
      },
    });
    const { client } = h.worker;
    client.captureException(new Error('ignore me'));
    client.captureException(new Error('keep me'));
    await client.flush();
    expect(h.ingest.events().map((e) => [e.error.message, e.tags])).toEqual([
      ['keep me', { mechanism: 'manual', edited: 'yes', owner: '[email]' }],
    ]);
    expect((await client.stats()).dropped).toEqual({ before_send: 1 });
  });
});

describe('capture helpers', () => {
  test('breadcrumbs are bounded, most recent kept', async ({ expect }) => {
    const h = createHarness({ maxBreadcrumbs: 3, integrations: [] });
    const { client } = h.worker;
    for (let i = 0; i < 10; i++) client.addBreadcrumb({ category: 'step', message: `step ${i}` });
    client.captureException(new Error('x'));
    await client.flush();
    expect(h.ingest.events()[0]?.breadcrumbs?.map((b) => b.message)).toEqual([
      'step 7',
      'step 8',
      'step 9',
    ]);
  });

  test('reportLastError reports a set lastError from the caller’s frame, and only then', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client, ctx } = h.worker;
    function onTabLoaded() {
      return client.reportLastError({ tags: { api: 'tabs.get' } });
    }
    expect(onTabLoaded()).toBe(false);
    expect(ctx.withLastError('No tab with id: 1842.', onTabLoaded)).toBe(true);
    await client.flush();
    const [event] = h.ingest.events();
    expect(event).toMatchObject({
      error: { type: 'Error', message: 'No tab with id: 1842.' },
      tags: { mechanism: 'chrome.runtime.lastError', api: 'tabs.get' },
    });
    expect(event?.error.stack?.split('\n')[1]).toContain('at onTabLoaded');
  });

  test('wrap reports a throw once and rethrows it; a rejection is reported, not swallowed', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client, global } = h.worker;
    const failing = new Error('sync failure');
    const wrapped = client.wrap(() => {
      throw failing;
    });
    expect(() => wrapped()).toThrow(failing);
    // The same error reaching the global handler afterwards is not a second report.
    global.dispatchEvent(
      Object.assign(new Event('error'), { error: failing, message: failing.message }),
    );
    const rejecting = client.wrap(async (n: number) => {
      throw new RangeError(`bad ${n}`);
    }, 'custom');
    await expect(rejecting(3)).rejects.toThrow('bad 3');
    await client.flush();
    expect(h.ingest.events().map((e) => [e.error.message, e.tags?.mechanism])).toEqual([
      ['sync failure', 'wrap'],
      ['bad 3', 'custom'],
    ]);
  });

  test('an error storm is bounded: past 30 events in preparation, new ones are counted', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client } = h.worker;
    const ids = Array.from({ length: 40 }, (_, i) => client.captureException(new Error(`e${i}`)));
    expect(ids.filter(Boolean)).toHaveLength(30);
    await client.flush();
    expect((await client.stats()).dropped).toEqual({ buffer_overflow: 10 });
  });
});

describe('setup', () => {
  test('the service worker needs the core entry, an endpoint and a key; other contexts the relay', ({
    expect,
  }) => {
    const { chrome } = new ChromeBackend().context('worker');
    expect(() => pageClient({ chrome, surface: 'background' })).toThrow(
      /service worker needs init/,
    );
    expect(() => init({ chrome, surface: 'background', key: KEY })).toThrow(/endpoint and key/);
    // Anywhere but a service worker, the core refuses: a second queue would fight the worker's.
    expect(() => init({ chrome, endpoint: ENDPOINT, key: KEY })).toThrow(/relay/);
    expect(() => init({ chrome, surface: 'popup', endpoint: ENDPOINT, key: KEY })).toThrow(/relay/);
    expect(() => pageClient({})).toThrow(/no chrome.runtime/);
  });

  test('the module API is a no-op before init() and delegates after', async ({ expect }) => {
    expect(api.captureException(new Error('too early'))).toBeUndefined();
    const backend = new ChromeBackend();
    const { chrome } = backend.context('worker');
    const h = createHarness();
    const client = init({
      chrome,
      surface: 'background',
      endpoint: ENDPOINT,
      key: KEY,
      fetch: h.ingest.fetch,
      global: new EventTarget(),
    });
    expect(api.getClient()).toBe(client);
    expect(api.captureException(new Error('now'))).toMatch(/^[0-9a-f]{32}$/);
    const fn = () => 1;
    expect(api.wrap(fn)()).toBe(1);
    await api.flush();
    expect(h.ingest.events().map((e) => e.error.message)).toEqual(['now']);
  });

  test('detectSurface tells the contexts apart from the global and the manifest', ({ expect }) => {
    const { chrome } = new ChromeBackend().context('page');
    const page = (path: string) => ({ document: {}, location: new URL(`${EXT}/${path}`) });
    class ServiceWorkerGlobalScope {}
    expect(
      detectSurface(
        Object.assign(new ServiceWorkerGlobalScope(), { ServiceWorkerGlobalScope }),
        chrome,
      ),
    ).toBe('background');
    expect(detectSurface(page('popup.html'), chrome)).toBe('popup');
    expect(detectSurface(page('options.html'), chrome)).toBe('options');
    expect(detectSurface(page('panel.html'), chrome)).toBe('sidepanel');
    expect(detectSurface(page('offscreen.html'), chrome)).toBe('page');
    expect(
      detectSurface({ document: {}, location: new URL('https://shop.example/cart') }, chrome),
    ).toBe('content');
    expect(detectSurface({}, chrome)).toBe('unknown');
  });
});
