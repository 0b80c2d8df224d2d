import { fingerprintOf, scrubEventCore } from '@homeostat/shared';
import { chromeOf, createClient } from './client.ts';
import { fit, noop, randomId, utf8 } from './event.ts';
import { chromeListenersIntegration } from './integrations/chrome-listeners.ts';
import { globalHandlersIntegration } from './integrations/global-handlers.ts';
import * as LIMITS from './limits.ts';
import { isRelayMessage } from './relay.ts';
import { backoff, parseRetryAfter } from './transport.ts';
import type { Client, IngestEvent, Options } from './types.ts';
import { SDK_VERSION } from './version.ts';

export const QUEUE_KEY = 'homeostat:queue';
export const SEEN_KEY = 'homeostat:seen';
export const INSTALL_KEY = 'homeostat:install';
export const SESSION_KEY = 'homeostat:session';
export const FLUSH_ALARM = 'homeostat:flush';
export const CLEANUP_ALARM = 'homeostat:cleanup';
export const DAY_MS = 86_400_000;

/** Chrome clamps alarms to at least 30 s (Chrome 120+); sooner work is done by a timer. */
const MIN_ALARM_MS = 30_000;
/** Requests per flush, so a flush always ends even if the queue refills as fast as it drains. */
const MAX_ROUNDS = 10;
/** Chrome refuses keepalive requests past 64 KiB of keepalive bodies in flight. */
const KEEPALIVE_BUDGET = 60_000;
/** Room for the envelope around the items of one request. */
const ENVELOPE_BYTES = 1_024;
/** Fingerprints remembered, so the record stays small whatever an extension throws. */
const MAX_SEEN = 500;

type Category = 'events' | 'sessions';

/** One thing to deliver: an event or a session start. */
interface Item {
  id: string;
  c: Category;
  /** Enqueued at (epoch ms). */
  at: number;
  /** Failed attempts so far. */
  n: number;
  /** JSON byte size of `body`. */
  b: number;
  body: unknown;
}

/** What the queue persists under QUEUE_KEY. */
interface Queue {
  items: Item[];
  /**
   * Nothing is sent before this (epoch ms): a `Retry-After` or the backoff. Persisted, so a
   * limit of minutes outlives the worker that received it (MV3 stops an idle worker after ~30 s).
   * One for both categories: ingest rate-limits an install's events and sessions together.
   */
  until: number;
  /** Consecutive failed requests, for the backoff. */
  fails: number;
  dropped: Record<string, number>;
}

/** Per fingerprint (SEEN_KEY): last sent, last seen (epoch ms), seen since last sent, in all. */
type Seen = Record<string, [sent: number, seen: number, suppressed: number, total: number]>;

/**
 * The service worker's client: the only context that writes `chrome.storage`, holds the queue
 * and talks to ingest. Pages and content scripts relay their events here, so one queue, one
 * dedupe record and one rate-limit state serve the whole extension, and a popup that closes
 * right after an error loses nothing (its message has already reached the worker).
 *
 * MV3 stops an idle worker after ~30 s and may kill it mid-request, so every change is written to
 * `chrome.storage.local` before it counts, and an item leaves the queue only once ingest has
 * answered for it: a worker killed mid-request resends the batch on restart, and ingest knows the
 * event ids. A timer flushes while the worker lives; an alarm, which outlives and wakes it, is the
 * safety net. Bounded: items, bytes, attempts per item, requests per flush, fingerprints.
 *
 * Its listeners are added synchronously: MV3 delivers the event that woke a stopped worker (our
 * flush alarm, a relayed event) only to listeners added in the first turn.
 */
export function workerClient(options: Options): Client {
  const chrome = chromeOf(options);
  const {
    endpoint,
    key,
    surface = 'ServiceWorkerGlobalScope' in globalThis ? 'background' : undefined,
    fetch: post = fetch,
    dedupeWindowMs = 7 * DAY_MS,
    batchDelayMs = 2_000,
    maxQueueItems = 100,
    maxQueueBytes = 512 * 1024,
    maxAttempts = 10,
  } = options;
  if (surface !== 'background' || !endpoint || !key) {
    throw new Error(
      'homeostat: init() is for the service worker, with endpoint and key; elsewhere use /relay',
    );
  }
  const base = endpoint.replace(/\/+$/, '');
  const maxBatch = Math.min(options.maxBatchEvents ?? 20, LIMITS.maxEvents);
  const { alarms, runtime } = chrome;
  const { local, session } = chrome.storage;
  let q: Queue = { items: [], until: 0, fails: 0, dropped: {} };
  let seen: Seen = {};
  let envelope = {};
  let sessionId: string | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let flushing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Runs storage work one step at a time: each read-modify-write sees the previous one's. */
  function serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.catch(noop);
    return run;
  }

  const drop = (reason: string, n = 1) => {
    if (n) q.dropped[reason] = (q.dropped[reason] ?? 0) + n;
  };
  const saveSeen = () => local.set({ [SEEN_KEY]: seen });

  async function save(): Promise<void> {
    try {
      await local.set({ [QUEUE_KEY]: q });
    } catch {
      // Over quota (Chrome names its internal quota, "Resource::kQuotaBytes…", field notes):
      // shed the older half and try once more; if even that fails the queue lives on in memory.
      const shed = Math.ceil(q.items.length / 2);
      drop('storage', shed);
      q.items.splice(0, shed);
      await local.set({ [QUEUE_KEY]: q }).catch(noop);
    }
    schedule();
  }

  /** Adds an item; false when the queue is full or the item alone is too large to send. */
  function push(c: Category, id: string, body: unknown): boolean {
    const b = utf8(JSON.stringify(body));
    const reason =
      b + ENVELOPE_BYTES > LIMITS.maxBodyBytes
        ? 'too_large'
        : q.items.length >= maxQueueItems ||
            q.items.reduce((sum, i) => sum + i.b, b) > maxQueueBytes
          ? 'queue_overflow'
          : '';
    // Like sentry-javascript's offline store, a full queue refuses the newcomer: the first
    // errors of a burst say the most, and dedupe already keeps repeats out.
    if (reason) drop(reason);
    else q.items.push({ id, c, at: Date.now(), n: 0, b, body });
    return !reason;
  }

  /**
   * The next request: the items of the first category with a full batch or with an item that
   * has waited `batchDelayMs` (any, if forced by `client.flush()`), within count and body size.
   * With `at`, only whether one would be sendable then.
   */
  function pick(force: boolean, at = Date.now()): Item[] | undefined {
    if (q.until > at) return undefined;
    for (const c of ['events', 'sessions']) {
      const items: Item[] = [];
      let bytes = ENVELOPE_BYTES;
      for (const item of q.items) {
        if (item.c !== c) continue;
        if (items.length >= maxBatch || bytes + item.b > LIMITS.maxBodyBytes) break;
        items.push(item);
        bytes += item.b + 1;
      }
      const first = items[0];
      if (first && (force || items.length >= maxBatch || first.at + batchDelayMs <= at)) {
        return items;
      }
    }
    return undefined;
  }

  /**
   * Arms the timer and the alarm for the next request: when the rate limit or backoff ends, a
   * full batch at once, otherwise when the oldest item has waited `batchDelayMs`. Items keep their
   * time, so a steady trickle of events cannot postpone delivery.
   */
  function schedule(): void {
    const now = Date.now();
    const oldest = Math.min(...q.items.map((i) => i.at));
    const due = Math.max(q.until, pick(false, now) ? now : oldest + batchDelayMs);
    clearTimeout(timer);
    if (due === Infinity) {
      void alarms?.clear(FLUSH_ALARM).catch(noop);
      return;
    }
    timer = setTimeout(flush, due - now);
    void alarms?.create(FLUSH_ALARM, { when: Math.max(due, now + MIN_ALARM_MS) }).catch(noop);
  }

  /**
   * One request, and what ingest's answer does to it (docs/api.md#post-v1events): a 202 delivers
   * all but the events it marks `rate_limited`, which wait for `Retry-After` as a 429 makes
   * everything wait; 400, 401, 413, 415 and other 4xx drop the batch, as Sentry drops a 413,
   * because the same bytes cannot succeed; 5xx (503 when its storage is down) and network
   * failures back off and retry, each item at most `maxAttempts` times. True when the next
   * request may follow at once.
   */
  async function round(force: boolean): Promise<boolean> {
    const sent = await serial(() => pick(force));
    if (!sent?.[0]) return false;
    const c = sent[0].c;
    const body = JSON.stringify({ ...envelope, [c]: sent.map((i) => i.body) });
    let status = 0;
    let retryAfter: string | null = null;
    let results: unknown;
    try {
      const res = await post(`${base}/v1/${c}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-homeostat-key': key as string },
        body,
        // keepalive lets a request outlive the worker, but Chrome refuses one once the keepalive
        // bodies in flight exceed 64 KiB (fetch spec, "inflight keepalive bytes"). Requests go
        // one at a time, so it is this body (UTF-8: at most 3 bytes a UTF-16 unit) that counts.
        keepalive: body.length * 3 <= KEEPALIVE_BUDGET,
        // A service worker's fetch would send the ingest origin's cookies otherwise.
        credentials: 'omit',
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      results =
        res.ok && ((await res.json().catch(noop)) as { results?: unknown } | undefined)?.results;
    } catch {
      // A network failure: no status.
    }
    await serial(() => {
      const now = Date.now();
      const wait = parseRetryAfter(retryAfter, now);
      // The items of `sent` that stay queued.
      let keep = sent;
      if (status === 429) {
        q.until = now + wait;
      } else if (!status || status >= 500) {
        q.fails++;
        q.until = now + (status && retryAfter ? wait : backoff(q.fails));
        keep = sent.filter((i) => ++i.n < maxAttempts);
        drop('retries', sent.length - keep.length);
      } else if (status >= 400) {
        keep = [];
        drop(
          status === 400
            ? 'invalid'
            : status === 401
              ? 'unauthorized'
              : status === 413
                ? 'too_large'
                : 'rejected',
          sent.length,
        );
      } else {
        q.fails = 0;
        keep = sent.filter(
          (i) =>
            Array.isArray(results) &&
            results.some(
              (r: { status?: unknown; eventId?: unknown }) =>
                r?.status === 'rate_limited' && r.eventId === i.id,
            ),
        );
        if (keep[0]) q.until = now + wait;
      }
      q.items = q.items.filter((i) => !sent.includes(i) || keep.includes(i));
      return save();
    });
    return status > 0 && status < 500 && status !== 429;
  }

  /** Sends what is due (all that may be sent, if forced), one request at a time. */
  function flush(force?: boolean): Promise<void> {
    if (flushing) return force ? flushing.then(() => flush(force)) : flushing;
    flushing = (async () => {
      try {
        for (let rounds = 0; rounds++ < MAX_ROUNDS && (await round(!!force)); ) {
          // next request
        }
      } catch {
        // Storage itself failed; what is queued stays, and the alarm tries again.
      }
      flushing = undefined;
      await serial(schedule);
    })();
    return flushing;
  }

  /**
   * The daily job: items older than 7 days, which no retry schedule reaches (a long offline),
   * and fingerprints not seen for 30 days are forgotten.
   */
  const cleanup = () =>
    serial(async () => {
      const now = Date.now();
      const before = q.items.length;
      q.items = q.items.filter((i) => i.at > now - 7 * DAY_MS);
      drop('expired', before - q.items.length);
      for (const k in seen) if ((seen[k] as Seen[string])[1] < now - 30 * DAY_MS) delete seen[k];
      await saveSeen();
      await save();
    });

  const ready = serial(async () => {
    const stored = await local.get([QUEUE_KEY, SEEN_KEY, INSTALL_KEY]);
    const queue = stored[QUEUE_KEY] as Queue | undefined;
    if (queue?.items) q = queue;
    seen = (stored[SEEN_KEY] as Seen | undefined) ?? {};
    let install = stored[INSTALL_KEY];
    if (typeof install !== 'string') {
      install = randomId();
      await local.set({ [INSTALL_KEY]: install });
    }
    envelope = {
      sdk: { name: 'homeostat.extension', version: SDK_VERSION },
      extension: { id: runtime.id, version: runtime.getManifest().version },
      install: { id: install },
    };
    // A session lasts while the browser runs this version of the extension: storage.session is
    // cleared on browser restart and on extension reload or update, but not when the worker
    // stops, so the ~30 s idle stops of MV3 do not inflate the session count. Without it
    // (Chrome before 102) a session is one worker's life.
    const current = await session?.get(SESSION_KEY).then((r) => r[SESSION_KEY], noop);
    sessionId = typeof current === 'string' ? current : randomId();
    if (sessionId !== current) {
      await session?.set({ [SESSION_KEY]: sessionId }).catch(noop);
      push('sessions', sessionId, { sessionId, startedAt: Date.now() });
    }
    // Also schedules what a previous worker left.
    await save();
    // The daily cleanup job, created once (and run then); events need not wait for it.
    void alarms
      ?.get(CLEANUP_ALARM)
      .then(
        (alarm): unknown =>
          alarm || alarms.create(CLEANUP_ALARM, { periodInMinutes: 24 * 60 }).then(cleanup),
      )
      .catch(noop);
  });

  /**
   * Scrubs, fingerprints, dedupes and queues one event, in capture order. Scrubbing comes after
   * every change that can carry data (`beforeSend` ran in the capturing context), with the
   * shared scrubber's core rules (the full set does not fit the size budget; ingest applies it
   * before storing anything, issue 11). The fingerprint is computed on exactly what is sent with
   * the server's own code, so client and server agree on the group unless the text holds what
   * only the full set scrubs (a phone number, a postal address). A fingerprint is sent once per `dedupeWindowMs` (a user's report
   * always) and only counted in between, so a crash loop costs one request, not thousands; the
   * count rides on the next report of it.
   */
  const accept = (raw: IngestEvent) =>
    ready.then(() =>
      serial(async () => {
        const event = fit(scrubEventCore(fit(raw)));
        const fingerprint = await fingerprintOf({ ...event.error, surface: event.surface });
        const now = Date.now();
        const [sent, , suppressed, total] = seen[fingerprint] ?? [0, 0, 0, 0];
        let entry: Seen[string] = [sent, now, suppressed + 1, total + 1];
        if (event.userReport || now - sent >= dedupeWindowMs) {
          event.fingerprint = fingerprint;
          event.sessionId ??= sessionId;
          if (suppressed) {
            event.context = { ...event.context, dedupe: { suppressed, total: total + 1 } };
          }
          // Refused by a full queue: not sent, so not counted as sent for the window either.
          if (push('events', event.eventId, event)) entry = [now, now, 0, total + 1];
          else entry[2]--;
          await save();
        }
        seen[fingerprint] = entry;
        // Past MAX_SEEN the least recently seen are forgotten: at worst one extra report each.
        // (Sorted, not kept in insertion order: chrome.storage hands objects back key-sorted.)
        const lastSeen = (k: string) => (seen[k] as Seen[string])[1];
        for (const k of Object.keys(seen)
          .sort((a, b) => lastSeen(a) - lastSeen(b))
          .slice(0, -MAX_SEEN)) {
          delete seen[k];
        }
        await saveSeen();
      }),
    );

  alarms?.onAlarm.addListener(({ name }) => {
    void ready
      .then(() => (name === CLEANUP_ALARM ? cleanup() : name === FLUSH_ALARM ? flush() : undefined))
      .catch(noop);
  });
  runtime.onMessage.addListener((message, sender, respond) => {
    if (!isRelayMessage(message) || sender.id !== runtime.id) return;
    // Answered once the event is persisted, so the sender knows it is safe to go away.
    accept(message.event).then(
      () => respond(true),
      () => respond(false),
    );
    return true;
  });

  return createClient(
    options,
    chrome,
    surface,
    {
      send: accept,
      drop,
      flush: () => ready.then(() => flush(true)),
      stats: () => serial(() => ({ queued: q.items.length, dropped: { ...q.dropped } })),
    },
    () => [globalHandlersIntegration(), chromeListenersIntegration()],
  );
}
