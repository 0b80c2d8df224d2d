import { jsonCopy, randomId, toWireError } from './event.ts';
import * as LIMITS from './limits.ts';
import type {
  Breadcrumb,
  CaptureHint,
  ChromeApi,
  Client,
  IngestEvent,
  Integration,
  Options,
  Stats,
  Surface,
} from './types.ts';

/**
 * Events being prepared at once (beforeSend, relay, queueing). Past it new ones are dropped and
 * counted, the task-producer rule of sentry-javascript's `makePromiseBuffer`: an error storm
 * must not pile up promises faster than storage can take them.
 */
const MAX_PENDING = 30;

type StackCapture = { captureStackTrace?: (target: object, below: unknown) => void };

/**
 * Where a client's events go: the service worker's queue (hub.ts) or a relay to it (relay.ts),
 * which also keeps the count of what was dropped, by reason.
 */
export interface Sink {
  send(event: IngestEvent): Promise<unknown>;
  drop(reason: string): void;
  flush?(): Promise<unknown>;
  stats(): Promise<Omit<Stats, 'pending'>>;
}

export function chromeOf(options: Options): ChromeApi {
  const chrome = options.chrome ?? (globalThis as { chrome?: ChromeApi }).chrome;
  if (!chrome?.runtime?.id) throw new Error('homeostat: no chrome.runtime here');
  return chrome;
}

/**
 * A client for one extension context: it builds events and hands them to `sink`. Nothing here
 * assumes `window` or `document`: sentry-javascript's browser SDK crashes in MV3 workers on
 * exactly that (research/error-tracking.md §7, getsentry/sentry-javascript#13152, #4098).
 */
export function createClient(
  options: Options,
  chrome: ChromeApi,
  surface: Surface,
  sink: Sink,
  defaults: () => Integration[],
): Client {
  const crumbs: Breadcrumb[] = [];
  const maxCrumbs = Math.min(options.maxBreadcrumbs ?? 20, LIMITS.breadcrumbs);
  // Errors already reported, so a rethrow from `wrap` is not reported again by `onerror`.
  const captured = new WeakSet<object>();
  const pending = new Set<Promise<unknown>>();

  function capture(
    error: IngestEvent['error'],
    hint: CaptureHint = {},
    userReport?: IngestEvent['userReport'],
  ): string | undefined {
    if (pending.size >= MAX_PENDING) return void sink.drop('buffer_overflow');
    const event: IngestEvent = {
      eventId: randomId(),
      timestamp: Date.now(),
      surface,
      error,
      tags: { ...options.tags, ...hint.tags, mechanism: hint.mechanism ?? 'manual' },
      breadcrumbs: [...crumbs],
      context: hint.context && jsonCopy(hint.context, LIMITS.contextBytes),
      userReport,
    };
    // Without beforeSend the sink gets the event in this turn, so events keep their order.
    const task = (async () => {
      const final = options.beforeSend ? await options.beforeSend(event) : event;
      await (final ? sink.send(final) : sink.drop('before_send'));
    })()
      .catch(() => sink.drop('internal'))
      .finally(() => pending.delete(task));
    pending.add(task);
    return event.eventId;
  }

  const client: Client = {
    surface,
    chrome,
    options,
    captureException(error, hint) {
      if (error === Object(error)) {
        if (captured.has(error as object)) return undefined;
        captured.add(error as object);
      }
      return capture(toWireError(error), hint);
    },
    captureMessage: (message, hint) => capture({ type: 'Message', message: String(message) }, hint),
    report: (description, error) =>
      capture(
        error === undefined ? { type: 'UserReport', message: description } : toWireError(error),
        { mechanism: 'report' },
        { description },
      ),
    reportLastError(hint, below: unknown = client.reportLastError) {
      const lastError = chrome.runtime.lastError;
      if (!lastError) return false;
      // Frameless, like a rejected promise-style call (docs/architecture.md#chrome-field-notes),
      // unless V8 gives us the caller's stack: then it groups by where it happened, minus our own
      // frames.
      const error = new Error(lastError.message);
      (Error as StackCapture).captureStackTrace?.(error, below);
      capture(toWireError(error), { mechanism: 'chrome.runtime.lastError', ...hint });
      return true;
    },
    addBreadcrumb(crumb) {
      const data = crumb.data && jsonCopy(crumb.data, LIMITS.breadcrumbDataBytes);
      if (crumbs.push({ ...crumb, timestamp: crumb.timestamp ?? Date.now(), data }) > maxCrumbs) {
        crumbs.shift();
      }
    },
    wrap(fn, mechanism = 'wrap') {
      const onError = (e: unknown) => client.captureException(e, { mechanism });
      return function (this: unknown, ...args: Parameters<typeof fn>) {
        try {
          const result = fn.apply(this, args);
          // Observing the rejection does not swallow it: the caller still gets `result`.
          if (result instanceof Promise) result.catch(onError);
          return result;
        } catch (e) {
          onError(e);
          throw e;
        }
      } as typeof fn;
    },
    async flush() {
      while (pending.size) await Promise.all(pending);
      await sink.flush?.();
    },
    stats: async () => ({ pending: pending.size, ...(await sink.stats()) }),
  };

  // Without the option, `defaults` itself is the function (it ignores its argument).
  const integrations = options.integrations ?? defaults;
  for (const integration of typeof integrations === 'function'
    ? integrations(defaults())
    : integrations) {
    integration.setup(client);
  }
  return client;
}
