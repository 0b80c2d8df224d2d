import type { ChromeApi } from './chrome.d.ts';
import { clip, clipTags, jsonCopy, randomId, toWireError } from './event.ts';
import type { createHub } from './hub.ts';
import { breadcrumbsIntegration } from './integrations/breadcrumbs.ts';
import { chromeListenersIntegration } from './integrations/chrome-listeners.ts';
import { globalHandlersIntegration } from './integrations/global-handlers.ts';
import * as LIMITS from './limits.ts';
import { createRelay } from './relay.ts';
import { detectSurface } from './surface.ts';
import type { Breadcrumb, CaptureHint, Client, IngestEvent, Options } from './types.ts';

/**
 * Events being prepared at once (beforeSend, relay, queueing). Past it new ones are dropped and
 * counted, the task-producer rule of sentry-javascript's `makePromiseBuffer`: an error storm
 * must not pile up promises faster than storage can take them.
 */
const MAX_PENDING = 30;

type StackCapture = { captureStackTrace?: (target: object, below: unknown) => void };

/** The integrations each surface gets unless `options.integrations` says otherwise. */
function defaults(): ReturnType<typeof globalHandlersIntegration>[] {
  return [globalHandlersIntegration(), chromeListenersIntegration(), breadcrumbsIntegration()];
}

/**
 * A client for one extension context. In the service worker it owns the queue (`hubFactory`, see
 * hub.ts; passed in so that the relay-only entry for pages and content scripts does not bundle
 * it); in pages and content scripts it relays events there. Nothing here assumes `window` or `document`:
 * sentry-javascript's browser SDK crashes in MV3 workers on exactly that
 * (research/error-tracking.md §7, getsentry/sentry-javascript#13152, #4098).
 */
export function createClient(options: Options = {}, hubFactory?: typeof createHub): Client {
  const chrome = options.chrome ?? (globalThis as { chrome?: ChromeApi }).chrome;
  if (!chrome?.runtime?.id)
    throw new Error('homeostat: no chrome.runtime here; is this an extension?');
  const surface = options.surface ?? detectSurface(globalThis, chrome);
  if (surface === 'background' && !hubFactory) {
    throw new Error("homeostat: the service worker needs init() from '@homeostat/extension-sdk'");
  }
  const hub = surface === 'background' ? hubFactory?.(chrome, options) : undefined;
  const relay = hub ? undefined : createRelay(chrome);
  const dropped: Record<string, number> = relay?.dropped ?? {};
  const crumbs: Breadcrumb[] = [];
  const maxCrumbs = Math.min(options.maxBreadcrumbs ?? 20, LIMITS.breadcrumbs);
  // Errors already reported, so a rethrow from `wrap` is not reported again by `onerror`.
  const captured = new WeakSet<object>();
  const pending = new Set<Promise<void>>();

  const count = (reason: string) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };

  async function deliver(event: IngestEvent): Promise<void> {
    const final = options.beforeSend ? await options.beforeSend(event) : event;
    if (!final) return count('before_send');
    await (hub ? hub.accept(final) : relay?.send(final));
  }

  function capture(
    error: IngestEvent['error'],
    hint: CaptureHint = {},
    userReport?: string,
  ): string | undefined {
    if (pending.size >= MAX_PENDING) return void count('buffer_overflow');
    const event: IngestEvent = {
      eventId: randomId(),
      timestamp: Date.now(),
      surface,
      error,
      tags: clipTags({ ...options.tags, ...hint.tags, mechanism: hint.mechanism ?? 'manual' }),
    };
    if (crumbs.length) event.breadcrumbs = [...crumbs];
    const context = hint.context && jsonCopy(hint.context, LIMITS.contextBytes);
    if (context) event.context = context;
    if (userReport !== undefined) {
      event.userReport = { description: clip(userReport, LIMITS.userReport) };
    }
    const task = deliver(event)
      .catch(() => count('internal'))
      .finally(() => pending.delete(task));
    pending.add(task);
    return event.eventId;
  }

  const client: Client = {
    surface,
    chrome,
    options,
    captureException(error, hint) {
      if (typeof error === 'object' && error !== null) {
        if (captured.has(error)) return undefined;
        captured.add(error);
      }
      return capture(toWireError(error), hint);
    },
    captureMessage: (message, hint) =>
      capture({ type: 'Message', message: clip(String(message), LIMITS.message) }, hint),
    report: (description, error) =>
      capture(
        error === undefined
          ? { type: 'UserReport', message: clip(description, LIMITS.message) }
          : toWireError(error),
        { mechanism: 'report' },
        description,
      ),
    reportLastError(hint, below: unknown = client.reportLastError) {
      const lastError = chrome.runtime.lastError;
      if (!lastError) return false;
      // Frameless, like a rejected promise-style call (architecture.md field notes), unless V8
      // gives us the caller's stack: then it groups by where it happened, minus our own frames.
      const error = new Error(lastError.message ?? 'chrome.runtime.lastError');
      (Error as StackCapture).captureStackTrace?.(error, below);
      capture(toWireError(error), { mechanism: 'chrome.runtime.lastError', ...hint });
      return true;
    },
    addBreadcrumb(crumb) {
      const entry: Breadcrumb = {
        timestamp: crumb.timestamp ?? Date.now(),
        category: clip(crumb.category, LIMITS.breadcrumbCategory),
      };
      if (crumb.level) entry.level = crumb.level;
      if (crumb.message !== undefined)
        entry.message = clip(crumb.message, LIMITS.breadcrumbMessage);
      const data = crumb.data && jsonCopy(crumb.data, LIMITS.breadcrumbDataBytes);
      if (data) entry.data = data;
      if (crumbs.push(entry) > maxCrumbs) crumbs.shift();
    },
    wrap(fn, mechanism = 'wrap') {
      return function (this: unknown, ...args: Parameters<typeof fn>) {
        try {
          const result = fn.apply(this, args);
          if (result instanceof Promise) {
            // Observing the rejection does not swallow it: the caller still gets `result`.
            result.catch((e: unknown) => client.captureException(e, { mechanism }));
          }
          return result;
        } catch (e) {
          client.captureException(e, { mechanism });
          throw e;
        }
      } as typeof fn;
    },
    async flush() {
      while (pending.size) await Promise.all(pending);
      await hub?.flush();
    },
    async stats() {
      const stats = {
        pending: pending.size,
        ...((await hub?.stats()) ?? { queued: 0, dropped: {} }),
      };
      for (const [k, n] of Object.entries(dropped)) stats.dropped[k] = (stats.dropped[k] ?? 0) + n;
      return stats;
    },
  };

  const { integrations } = options;
  const list =
    typeof integrations === 'function' ? integrations(defaults()) : (integrations ?? defaults());
  for (const integration of list) integration.setup(client);
  return client;
}
