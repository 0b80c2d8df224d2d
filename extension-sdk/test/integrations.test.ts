import { afterEach, beforeEach, describe, test, vi } from 'vitest';
import { breadcrumbsIntegration } from '../src/integrations/breadcrumbs.ts';
import { chromeListenersIntegration } from '../src/integrations/chrome-listeners.ts';
import { globalHandlersIntegration as pageGlobalHandlers } from '../src/relay-entry.ts';
import { createHarness, FAKE_TIMERS, settle } from './support/harness.ts';

const EXT = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';

const errorEvent = (error: unknown, filename?: string) =>
  Object.assign(new Event('error'), {
    error,
    message: String((error as Error | undefined)?.message ?? error),
    filename,
  });
const rejection = (reason: unknown) => Object.assign(new Event('unhandledrejection'), { reason });

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GlobalHandlers', () => {
  test('the service worker’s error and unhandledrejection are captured', async ({ expect }) => {
    const h = createHarness();
    const { client, global } = h.worker;
    global.dispatchEvent(errorEvent(new TypeError('x is undefined'), `${EXT}/bg.js`));
    global.dispatchEvent(
      rejection(new Error('Could not establish connection. Receiving end does not exist.')),
    );
    await client.flush();
    expect(h.ingest.events().map((e) => [e.error.type, e.tags?.mechanism])).toEqual([
      ['TypeError', 'onerror'],
      ['Error', 'onunhandledrejection'],
    ]);
  });

  test('in a content script only our own errors count, never the host page’s', async ({
    expect,
  }) => {
    const h = createHarness();
    const content = h.context('content');
    const own = new Error('content bug');
    own.stack = `Error: content bug\n    at scan (${EXT}/content.js:3:9)`;
    const page = new Error('page bug');
    page.stack = 'Error: page bug\n    at render (https://shop.example/app.js:1:1)';
    const frameless = new Error('No tab with id: 5.');
    frameless.stack = 'Error: No tab with id: 5.';
    content.global.dispatchEvent(errorEvent(page, 'https://shop.example/app.js'));
    content.global.dispatchEvent(errorEvent(own, `${EXT}/content.js`));
    content.global.dispatchEvent(rejection(page));
    content.global.dispatchEvent(rejection(frameless));
    await settle();
    await h.worker.client.flush();
    expect(h.ingest.events().map((e) => [e.surface, e.error.message])).toEqual([
      ['content', 'content bug'],
      ['content', 'No tab with id: 5.'],
    ]);
  });
});

describe('ChromeListeners', () => {
  test('a throw in a chrome.* listener is captured, and still reaches Chrome and the sender', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client, ctx } = h.worker;
    const listener = (message: unknown) => {
      if ((message as { type?: string }).type === 'sync') throw new TypeError('sync broke');
    };
    ctx.chrome.runtime.onMessage.addListener(listener);
    const popup = h.context('page');
    await expect(popup.ctx.chrome.runtime.sendMessage({ type: 'sync' })).rejects.toThrow(
      'sync broke',
    );
    expect(h.backend.errors).toHaveLength(1);
    await client.flush();
    const [event] = h.ingest.events();
    expect(event).toMatchObject({
      error: { type: 'TypeError', message: 'sync broke' },
      tags: { mechanism: 'runtime.onMessage' },
    });
  });

  test('removeListener and hasListener take the caller’s own function', ({ expect }) => {
    const h = createHarness();
    const { onAlarm } = h.worker.ctx.chrome.alarms;
    const listener = () => {};
    onAlarm.addListener(listener);
    expect(onAlarm.hasListener(listener)).toBe(true);
    expect(onAlarm.listeners).not.toContain(listener); // what Chrome holds is the wrapper
    onAlarm.removeListener(listener);
    expect(onAlarm.hasListener(listener)).toBe(false);
  });

  test('an async listener’s rejection is captured and its promise passed on', async ({
    expect,
  }) => {
    const h = createHarness();
    const { client, ctx } = h.worker;
    ctx.chrome.alarms.onAlarm.addListener(async (alarm) => {
      throw new Error(`alarm ${alarm.name} failed`);
    });
    const [outcome] = ctx.chrome.alarms.onAlarm
      .dispatch({ name: 'sync', scheduledTime: 0, persistAcrossSessions: true })
      .slice(-1);
    expect(outcome && 'value' in outcome && outcome.value instanceof Promise).toBe(true);
    await settle();
    await client.flush();
    expect(h.ingest.events().map((e) => [e.error.message, e.tags?.mechanism])).toEqual([
      ['alarm sync failed', 'alarms.onAlarm'],
    ]);
  });

  test('the SDK’s relay messages never reach the extension’s own onMessage listeners', async ({
    expect,
  }) => {
    const h = createHarness();
    const seen: unknown[] = [];
    h.worker.ctx.chrome.runtime.onMessage.addListener((m) => {
      seen.push(m);
    });
    const popup = h.context('page');
    popup.client.captureException(new Error('from the popup'));
    await popup.ctx.chrome.runtime.sendMessage({ type: 'hello' });
    await settle();
    await h.worker.client.flush();
    expect(seen).toEqual([{ type: 'hello' }]);
    expect(h.ingest.events()).toHaveLength(1);
  });
});

describe('Breadcrumbs', () => {
  const methods = ['debug', 'info', 'log', 'warn', 'error'] as const;
  const saved = methods.map((m) => console[m]);
  afterEach(() => {
    methods.forEach((m, i) => {
      console[m] = saved[i] ?? console[m];
    });
  });

  test('console calls and messages sent become breadcrumbs, bounded in size', async ({
    expect,
  }) => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const h = createHarness({
      integrations: [breadcrumbsIntegration(), chromeListenersIntegration()],
    });
    const { client, ctx } = h.worker;
    console.warn('quota low', { used: 9 }, 'x'.repeat(2_000));
    await ctx.chrome.tabs.sendMessage(7, { type: 'ping' }).catch(() => {});
    client.captureException(new Error('after'));
    await client.flush();
    const crumbs = h.ingest.events()[0]?.breadcrumbs ?? [];
    expect(crumbs.map((c) => [c.category, c.level, c.message?.slice(0, 25)])).toEqual([
      ['console', 'warning', 'quota low {"used":9} xxxx'],
      ['message', undefined, 'tabs.sendMessage'],
    ]);
    expect(crumbs[0]?.message).toHaveLength(1024);
  });

  test('messages received are breadcrumbs, before the listener runs; the SDK’s own are not', async ({
    expect,
  }) => {
    const h = createHarness({
      integrations: (defaults) => [...defaults, breadcrumbsIntegration({ console: false })],
    });
    const { client, ctx } = h.worker;
    ctx.chrome.runtime.onMessage.addListener((message) => {
      if ((message as { type?: string }).type === 'sync') throw new TypeError('sync broke');
    });
    const popup = h.context('page');
    popup.client.captureException(new Error('relayed, not a breadcrumb'));
    await settle();
    await popup.ctx.chrome.runtime.sendMessage({ type: 'hello' });
    const content = h.context('content');
    await content.ctx.chrome.runtime.sendMessage({ type: 'sync' }).catch(() => {});
    await client.flush();
    const thrown = h.ingest.events().find((e) => e.error.message === 'sync broke');
    expect(thrown?.breadcrumbs?.map((b) => [b.category, b.message, b.data])).toEqual([
      ['message', 'runtime.onMessage', { from: 'extension' }],
      ['message', 'runtime.onMessage', { from: 'content' }],
    ]);
  });

  test('a content script patches nothing of the page: console stays, errors still flow', async ({
    expect,
  }) => {
    const before = methods.map((m) => console[m]);
    const h = createHarness();
    const content = h.context('content', {
      integrations: [pageGlobalHandlers(), chromeListenersIntegration(), breadcrumbsIntegration()],
    });
    expect(methods.map((m) => console[m])).toEqual(before);
    content.client.captureException(new Error('content'));
    await settle();
    await h.worker.client.flush();
    expect(h.ingest.events().map((e) => e.surface)).toEqual(['content']);
  });
});

describe('relay from pages and content scripts', () => {
  test('events reach the worker’s queue scrubbed, with their own surface and breadcrumbs', async ({
    expect,
  }) => {
    const h = createHarness();
    const popup = h.context('page');
    popup.client.addBreadcrumb({ category: 'ui', message: 'clicked save for ann@example.com' });
    popup.client.captureException(new Error('save failed for ann@example.com'));
    await settle();
    await h.worker.client.flush();
    const [event] = h.ingest.events();
    expect(event).toMatchObject({
      surface: 'popup',
      error: { message: 'save failed for [email]' },
      breadcrumbs: [{ category: 'ui', message: 'clicked save for [email]' }],
    });
    expect(event?.fingerprint).toMatch(/^fp1:/);
  });

  test('a message starts a stopped worker, which takes the event', async ({ expect }) => {
    const h = createHarness();
    h.worker.ctx.kill();
    const content = h.context('content');
    content.client.captureException(new Error('while the worker slept'));
    await settle();
    await h.worker.client.flush();
    expect(h.ingest.events().map((e) => e.error.message)).toEqual(['while the worker slept']);
  });

  test('with no SDK in the worker, the event is retried once, then counted as lost', async ({
    expect,
  }) => {
    const h = createHarness();
    h.backend.startWorker = undefined;
    h.worker.ctx.kill();
    const content = h.context('content');
    content.client.captureException(new Error('nobody listens'));
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(await content.client.stats()).toEqual({ pending: 0, queued: 0, dropped: { relay: 1 } });
  });
});
