/// <reference types="chrome" />
// What `evaluate` runs inside the extension sees the extension's `chrome`.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeFingerprint, type IngestEvent } from '@homeostat/shared';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { z } from 'zod';
import { launchWithExtension } from '../../scripts/lib/chromium-extension.ts';
import { buildSentryExtension } from '../fixtures/sentry-extension/build.ts';
import { type InProcessStack, startInProcessStack } from '../support/in-process-stack.ts';

/**
 * Issue 13: the real `@sentry/browser` in an MV3 extension in Debian's Chromium, its DSN pointed
 * at the local stack's ingest. The same errors are reported, in the service worker, the popup
 * and a content script, by Sentry's SDK (a `BrowserClient` and its own `Scope` in the worker and
 * the content script, as Sentry documents for extensions; `Sentry.init` in the popup) and by
 * Homeostat's SDK; every assertion is made on what ingest stored in D1. One browser launch.
 */

const SENTRY_SDK = /^sentry\.javascript\.browser\/\d+\.\d+\.\d+$/;

let dir: string;
let stack: InProcessStack;
let context: BrowserContext;
let extensionId: string;
let popup: Page;
let shop: Page;
let shopServer: http.Server;
/** Every request either SDK made to ingest (the worker's too): path, body and answer. */
const sent: { path: string; status: number; body: string; answer: Promise<unknown> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'homeostat-e2e-sentry-'));
  shopServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Shop</title><p>No price here</p>');
  });
  const listening = new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
  stack = await startInProcessStack({ vars: { ingest: { FLUSH_INTERVAL_SECONDS: '1' } } });
  const extension = await buildSentryExtension(stack.urls.ingest, path.join(dir, 'extension'));
  await listening;
  ({ context, extensionId } = await launchWithExtension(path.join(dir, 'profile'), extension));
  context.on('response', (r) => {
    const url = new URL(r.url());
    if (url.origin !== new URL(stack.urls.ingest).origin) return;
    const answer = r.json().catch(() => null);
    sent.push({
      path: url.pathname,
      status: r.status(),
      body: r.request().postData() ?? '',
      answer,
    });
  });
  popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await popup.waitForFunction(() => document.documentElement.dataset.fixture === 'ready');
  shop = await context.newPage();
  await shop.goto(`http://127.0.0.1:${(shopServer.address() as AddressInfo).port}/`);
  await shop.waitForFunction(() => document.documentElement.dataset.fixture === 'ready');
}, 90_000);

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => shopServer?.close(resolve));
  await stack?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const SampleRow = z.object({
  event_id: z.string(),
  fingerprint: z.string(),
  version: z.string(),
  surface: z.string(),
  event: z.string(),
});

async function samples() {
  const rows = await stack.query(
    'SELECT event_id, fingerprint, version, surface, event FROM samples',
  );
  return rows.map((r) => {
    const row = SampleRow.parse(r);
    return { ...row, event: JSON.parse(row.event) as IngestEvent };
  });
}

describe('@sentry/browser in an MV3 extension, pointed at Homeostat', () => {
  test('service worker, popup and content script: each error arrives from both SDKs under one fingerprint', async ({
    expect,
  }) => {
    const ids = z
      .object({ sentryId: z.string(), homeostatId: z.string() })
      .parse(await popup.evaluate(() => chrome.runtime.sendMessage({ type: 'throw-background' })));
    await popup.click('#throw'); // uncaught: both SDKs' global handling
    await shop.evaluate(() => document.dispatchEvent(new CustomEvent('sentry-fixture:scan')));

    // Two events per surface: one with Sentry's SDK in its context, one from Homeostat's.
    const rows = await stack.until(async () => {
      const all = await samples();
      return all.length >= 6 ? all : null;
    }, 25_000);
    expect(rows).toHaveLength(6);
    const fromSentry = (r: (typeof rows)[number]) => SENTRY_SDK.test(String(r.event.context?.sdk));
    for (const surface of ['background', 'popup', 'content']) {
      const pair = rows.filter((r) => r.surface === surface);
      expect(pair.map(fromSentry).sort(), surface).toEqual([false, true]);
      const [a, b] = pair;
      expect(a?.fingerprint, surface).toBe(b?.fingerprint);
      expect(a?.version).toBe('1.0.0');
      expect(b?.version).toBe('1.0.0');
      // Same type, message and frames: the server's grouping saw the same error twice.
      expect(a?.event.error.type).toBe(b?.event.error.type);
      expect(a?.event.error.message).toBe(b?.event.error.message);
      const fp = async (r: typeof a) =>
        r && (await computeFingerprint({ ...r.event.error, surface: r.event.surface })).components;
      expect(await fp(a)).toEqual(await fp(b));
    }
    expect(rows.map((r) => r.event_id)).toEqual(
      expect.arrayContaining([ids.sentryId, ids.homeostatId]),
    );
    const sentryPopup = rows.find((r) => r.surface === 'popup' && fromSentry(r));
    expect(sentryPopup?.event.tags?.mechanism).toMatch(/addEventListener|onerror/);
    expect(sentryPopup?.event.error.stack).toContain(`chrome-extension://${extensionId}/popup.js`);
    // A content script's host page stays out of what is stored.
    const sentryContent = rows.find((r) => r.surface === 'content' && fromSentry(r));
    expect(JSON.stringify(sentryContent)).not.toContain('127.0.0.1');

    // Each fingerprint counted both events.
    const counts = await stack.query<{ fingerprint: string; events: number }>(
      'SELECT fingerprint, events FROM fingerprints',
    );
    expect(counts.map((c) => c.events)).toEqual([2, 2, 2]);

    // Sentry's session starts (`init: true`) reached release health beside Homeostat's own.
    const envelopes = sent.filter((r) => r.path === '/api/1/envelope/');
    expect(envelopes.map((r) => r.status)).toEqual(envelopes.map(() => 200));
    const sentryStarts = envelopes.filter((r) => /"type":"session"[\s\S]*"init":true/.test(r.body));
    expect(sentryStarts.length).toBeGreaterThanOrEqual(2); // the popup and the content script
    let homeostatSessions = 0;
    for (const r of sent.filter((x) => x.path === '/v1/sessions')) {
      homeostatSessions += z.object({ accepted: z.number() }).parse(await r.answer).accepted;
    }
    const expected = sentryStarts.length + homeostatSessions;
    const health = await stack.until(async () => {
      const [row] = await stack.query<{ sessions: number | null }>(
        "SELECT sum(sessions) AS sessions FROM release_health WHERE version = '1.0.0'",
      );
      return (row?.sessions ?? 0) >= expected ? row : null;
    }, 15_000);
    expect(health?.sessions).toBe(expected);
  });
});
