/// <reference types="chrome" />
// What `evaluate` runs inside the extension sees the extension's `chrome`.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeFingerprint, type IngestEvent } from '@homeostat/shared';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { z } from 'zod';
import { buildDemo } from '../../examples/demo-extension/build.ts';
import { launchWithExtension } from '../../scripts/lib/chromium-extension.ts';
import { queryLocalD1, type StackProcess, startStack } from '../support/local-stack-process.ts';

/**
 * The SDK end to end (issue 4): the real local stack, Debian's Chromium headless with the demo
 * extension loaded unpacked, errors triggered in the service worker, the popup and a content
 * script, and every assertion made on what the ingest Worker stored in D1.
 *
 * Between the extension and ingest sits a pass-through proxy that can answer 503 with
 * Retry-After, as ingest itself does when its storage is down; it lets the test hold events in
 * the SDK's queue, kill the service worker and watch the queue survive.
 */

const PII_EMAIL = 'jane.doe@example.com';

let state: string;
let stack: StackProcess;
let proxy: Proxy;
let context: BrowserContext;
let extensionId: string;
let popup: Page;
let shop: Page;
let shopServer: http.Server;

interface Proxy {
  url: string;
  mode: 'forward' | 'unavailable';
  /** Every request the extension made: path, the events' ids and client fingerprints, answer. */
  log: { path: string; events: { eventId: string; fingerprint?: string }[]; status: number }[];
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const self: Proxy = { url: '', mode: 'forward', log: [], close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const parsed = req.method === 'POST' ? JSON.parse(body.toString() || '{}') : {};
    const entry = { path: req.url ?? '', events: parsed.events ?? [], status: 0 };
    self.log.push(entry);
    if (self.mode === 'unavailable') {
      entry.status = 503;
      res.writeHead(503, { 'retry-after': '2', 'content-type': 'application/json' });
      res.end('{"error":{"code":"unavailable","message":"storage unavailable, retry later"}}');
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      ...(req.method === 'POST' ? { body } : {}),
    });
    entry.status = upstream.status;
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers.entries()));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  self.close = () => new Promise((resolve) => server.close(() => resolve()));
  return self;
}

const SampleRow = z.object({
  event_id: z.string(),
  fingerprint: z.string(),
  version: z.string(),
  surface: z.string(),
  event: z.string(),
});
type Sample = z.infer<typeof SampleRow> & { parsed: IngestEvent };

async function samples(): Promise<Sample[]> {
  const rows = await queryLocalD1(
    state,
    'SELECT event_id, fingerprint, version, surface, event FROM samples ORDER BY occurred_at',
  );
  return rows.map((r) => {
    const row = SampleRow.parse(r);
    return { ...row, parsed: JSON.parse(row.event) as IngestEvent };
  });
}

async function fingerprintEvents(): Promise<Map<string, number>> {
  const rows = await queryLocalD1(state, 'SELECT fingerprint, events FROM fingerprints');
  return new Map(
    rows.map((r) => {
      const row = z.object({ fingerprint: z.string(), events: z.number() }).parse(r);
      return [row.fingerprint, row.events];
    }),
  );
}

/** Polls D1 (flushed by the Durable Objects every 5 s locally) until `done` holds. */
async function samplesUntil(done: (rows: Sample[]) => boolean, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await samples();
    if (done(rows)) return rows;
    if (Date.now() > deadline) {
      throw new Error(
        `D1 never got there: ${JSON.stringify(rows.map((r) => [r.surface, r.parsed.error.message]))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function serviceWorker(): Promise<Worker> {
  const running = context
    .serviceWorkers()
    .find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`));
  return running ?? context.waitForEvent('serviceworker', { timeout: 60_000 });
}

/** The SDK's persisted queue, read inside the extension. */
async function storedQueue(worker: Worker) {
  const stored = await worker.evaluate(() => chrome.storage.local.get('homeostat:queue'));
  return z
    .object({ items: z.array(z.object({ id: z.string(), c: z.string() })) })
    .parse((stored as Record<string, unknown>)['homeostat:queue']);
}

beforeAll(async () => {
  state = await mkdtemp(path.join(tmpdir(), 'homeostat-e2e-sdk-'));
  stack = await startStack(['--port', '0', '--persist-to', state]);
  proxy = await startProxy(stack.urls.ingest);
  const extension = await buildDemo({ endpoint: proxy.url, outDir: path.join(state, 'extension') });

  shopServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    // A page with its own bug: the content script's SDK must not report it.
    res.end(
      '<!doctype html><title>Shop</title><p>No price here</p><script>setTimeout(() => { throw new Error("the shop page own bug"); }, 5)</script>',
    );
  });
  await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));

  ({ context, extensionId } = await launchWithExtension(path.join(state, 'profile'), extension, {
    extraArgs: ['--disable-quic'],
  }));
  popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  shop = await context.newPage();
  await shop.goto(`http://127.0.0.1:${(shopServer.address() as AddressInfo).port}/`);
  await shop.waitForFunction(() => document.documentElement.dataset.homeostatDemo === 'ready');
}, 120_000);

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => shopServer?.close(resolve));
  await proxy?.close();
  await stack?.interrupt();
  await rm(state, { recursive: true, force: true });
});

describe('sdk: the demo extension in headless Chromium, through the real stack', () => {
  test('errors from the service worker, the popup and a content script arrive once each, scrubbed', async ({
    expect,
  }) => {
    await popup.click('#throw-background'); // throws in a runtime.onMessage listener, with an email
    await popup.click('#throw-popup'); // throws in a click handler
    await popup.click('#throw-popup'); // the same bug again: deduped on the client
    await shop.evaluate(() => document.dispatchEvent(new CustomEvent('homeostat-demo:scan'))); // wrap()
    await shop.evaluate(() => document.dispatchEvent(new CustomEvent('homeostat-demo:later'))); // onerror

    const rows = await samplesUntil((r) => r.length >= 4);
    await new Promise((r) => setTimeout(r, 6_000)); // one more flush interval: nothing else comes
    const final = await samples();
    expect(final).toHaveLength(4);
    const bySurface = final.map((r) => [r.surface, r.parsed.error.type, r.parsed.error.message]);
    expect(bySurface).toEqual(
      expect.arrayContaining([
        ['background', 'TypeError', 'Cannot sync the profile of [email]: no profile on record'],
        ['popup', 'TypeError', "Cannot read properties of undefined (reading 'limit')"],
        ['content', 'TypeError', "Cannot read properties of null (reading 'dataset')"],
        ['content', 'RangeError', 'Checkout watcher gave up after 4 polls'],
      ]),
    );
    expect(JSON.stringify(final)).not.toContain(PII_EMAIL);
    expect(JSON.stringify(final)).not.toContain('the shop page own bug');

    const counts = await fingerprintEvents();
    const sent = new Map(proxy.log.flatMap((l) => l.events).map((e) => [e.eventId, e.fingerprint]));
    for (const row of rows) {
      expect(row.version).toBe('1.0.0');
      // One event per bug, counted once by the server.
      expect(counts.get(row.fingerprint)).toBe(1);
      // The client computed the server's fingerprint, with the same shared code.
      expect(sent.get(row.event_id)).toBe(row.fingerprint);
      const recomputed = await computeFingerprint({
        ...row.parsed.error,
        surface: row.parsed.surface,
      });
      expect(recomputed.fingerprint).toBe(row.fingerprint);
    }
    // The popup's two clicks were one report; the frames name the code that threw.
    expect(final.filter((r) => r.surface === 'popup')).toHaveLength(1);
    const background = final.find((r) => r.surface === 'background');
    expect(background?.parsed.tags).toMatchObject({ mechanism: 'runtime.onMessage' });
    expect(background?.parsed.error.stack).toContain(
      `chrome-extension://${extensionId}/background.js`,
    );
    // Breadcrumbs (the optional integration the demo adds): the message the worker received
    // before its listener threw, and the popup's page load and the message it had sent.
    expect(background?.parsed.breadcrumbs).toContainEqual(
      expect.objectContaining({
        category: 'message',
        message: 'runtime.onMessage',
        data: { from: 'extension' },
      }),
    );
    const popupCrumbs = final.find((r) => r.surface === 'popup')?.parsed.breadcrumbs;
    expect(popupCrumbs).toContainEqual(
      expect.objectContaining({ category: 'navigation', message: '/popup.html' }),
    );
    expect(popupCrumbs).toContainEqual(
      expect.objectContaining({ category: 'message', message: 'runtime.sendMessage' }),
    );
  });

  test('a service worker killed with events queued loses none of them', async ({ expect }) => {
    const before = await samples();
    proxy.mode = 'unavailable';
    await popup.click('#open-tab'); // a frameless chrome.tabs rejection
    await popup.click('#import-settings'); // JSON.parse in a timer: the worker's global handler

    // Both events are in the persisted queue and ingest has refused each at least once.
    const worker = await serviceWorker();
    const refused = () =>
      new Set(
        proxy.log.filter((l) => l.status === 503).flatMap((l) => l.events.map((e) => e.eventId)),
      );
    let queued: string[] = [];
    for (let i = 0; i < 100; i++) {
      queued = (await storedQueue(worker)).items
        .filter((item) => item.c === 'events')
        .map((item) => item.id);
      if (queued.length === 2 && queued.every((id) => refused().has(id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(queued).toHaveLength(2);
    expect(refused()).toEqual(new Set(queued));

    // Kill the worker through the DevTools protocol: its target goes away, and with it the heap.
    const { bootId: bootBefore } = (await popup.evaluate(() =>
      chrome.runtime.sendMessage({ type: 'ping' }),
    )) as { bootId: string };
    const cdp = await context.newCDPSession(popup);
    const targets = async () =>
      (await cdp.send('Target.getTargets')).targetInfos.filter(
        (t) =>
          t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`),
      );
    const [target] = await targets();
    if (!target) throw new Error('no service worker target');
    await cdp.send('Target.closeTarget', { targetId: target.targetId });
    for (let i = 0; i < 50 && (await targets()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await targets()).toHaveLength(0);

    // Ingest is back. Nobody touches the extension: the SDK's flush alarm, which outlives the
    // worker, starts a new one (at most 30 s on, Chrome's alarm minimum), and that one finds the
    // queue in chrome.storage and sends it. (Playwright does not report a restarted worker, so
    // the DevTools target list is watched instead.)
    proxy.mode = 'forward';
    const atKill = proxy.log.length;
    let sentWhileDead = 0;
    for (let i = 0; i < 600; i++) {
      // Read the log before the targets: a request logged by then came from a listed worker.
      const logged = proxy.log.length;
      if ((await targets()).length > 0) break;
      sentWhileDead = logged - atKill;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await targets()).toHaveLength(1);
    expect(sentWhileDead).toBe(0);
    const rows = await samplesUntil(
      (r) => queued.every((id) => r.some((s) => s.event_id === id)),
      90_000,
    );
    const delivered = rows.filter((r) => queued.includes(r.event_id));
    expect(delivered.map((r) => r.surface)).toEqual(['background', 'background']);
    expect(delivered.map((r) => r.parsed.error.message).sort()).toEqual([
      'No tab with id: 987654321.',
      expect.stringContaining('JSON'),
    ]);
    expect(rows).toHaveLength(before.length + 2);
    const { bootId: bootAfter } = (await popup.evaluate(() =>
      chrome.runtime.sendMessage({ type: 'ping' }),
    )) as { bootId: string };
    expect(bootAfter).not.toBe(bootBefore);
    expect((await storedQueue(await serviceWorker())).items).toHaveLength(0);
  });
});
