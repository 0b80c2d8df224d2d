import type { FakeTimersConfig } from 'vitest';
import { workerClient } from '../../src/hub.ts';
import { pageClient } from '../../src/relay.ts';
import type { Client, Options } from '../../src/types.ts';
import { ChromeBackend, type FakeContext } from './fake-chrome.ts';
import { createFakeIngest } from './fake-ingest.ts';

export const ENDPOINT = 'https://ingest.test';
export const KEY = 'hs_pub_test_key_0001';

export interface Worker {
  ctx: FakeContext;
  client: Client;
  global: EventTarget;
}

/**
 * One extension in one browser: a fake ingest, the chrome backend, and service workers that can
 * be started, killed and restarted on the same storage, as MV3 does to them.
 */
export function createHarness(options: Options = {}) {
  const backend = new ChromeBackend();
  const ingest = createFakeIngest();
  let worker: Worker | undefined;

  function startWorker(extra: Options = {}): Worker {
    // Chrome runs at most one service worker per extension.
    if (backend.worker) throw new Error('a service worker is already running');
    const ctx = backend.context('worker');
    const global = new EventTarget();
    // A stopped worker's heap is gone: its timers may still fire here, but nothing they start
    // reaches the network (nor storage, see FakeContext.kill).
    const fetch: typeof globalThis.fetch = (input, init) =>
      ctx.alive ? ingest.fetch(input, init) : new Promise(() => {});
    const client = workerClient({
      endpoint: ENDPOINT,
      key: KEY,
      surface: 'background',
      chrome: ctx.chrome,
      fetch,
      global,
      ...options,
      ...extra,
    });
    worker = { ctx, client, global };
    live.add(client);
    ctx.onKill = () => live.delete(client);
    return worker;
  }
  backend.startWorker = () => startWorker().ctx;

  return {
    backend,
    ingest,
    startWorker,
    get worker(): Worker {
      return worker ?? startWorker();
    },
    /** Kills the running worker (its heap is gone) and starts a new one on the same profile. */
    restartWorker(extra: Options = {}): Worker {
      worker?.ctx.kill();
      return startWorker(extra);
    },
    /** A content script or extension page relaying to the worker. */
    context(kind: 'content' | 'page', extra: Options = {}) {
      const ctx = backend.context(kind);
      const global = new EventTarget();
      const client = pageClient({
        surface: kind === 'content' ? 'content' : 'popup',
        chrome: ctx.chrome,
        global,
        ...extra,
      });
      live.add(client);
      return { ctx, client, global };
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));
const live = new Set<Client>();

/**
 * Lets real asynchronous work finish without moving fake time: storage microtasks, and Web
 * Crypto's digest, which Node runs on its thread pool and so needs real time. It waits until no
 * client has a captured event still being prepared, then yields `turns` more times to the event
 * loop (through `setImmediate`, which the tests never fake) for the queue's own steps.
 */
export async function settle(turns = 20): Promise<void> {
  const { vi } = await import('vitest');
  for (const client of live) {
    for (let i = 0; i < 10_000 && (await client.stats()).pending > 0; i++) await turn();
  }
  for (let i = 0; i < turns; i++) {
    // Timers due now (a 0 ms batch delay) run; fake time does not move.
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0);
    await turn();
  }
}

/** Advances fake time in steps, letting real async work run between them. */
export async function advance(ms: number, step = 1_000): Promise<void> {
  const { vi } = await import('vitest');
  for (let left = ms; left > 0; left -= step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, left));
    await settle(5);
  }
  await settle();
}

export const FAKE_TIMERS: FakeTimersConfig = { toFake: ['setTimeout', 'clearTimeout', 'Date'] };
