import type { ChromeApi } from './chrome.d.ts';
import { byteLength } from './event.ts';
import * as LIMITS from './limits.ts';
import type { SendResult } from './transport/base.ts';
import {
  type Category,
  DEFAULT_RETRY_AFTER_MS,
  limitedUntil,
  type RateLimits,
} from './transport/rate-limit.ts';

/** One thing to deliver: an event or a session start, and how often delivery failed. */
export interface QueueItem {
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

/** Everything the queue persists under one `chrome.storage.local` key. */
interface State {
  items: QueueItem[];
  limits: RateLimits;
  /** Consecutive failed requests, for the backoff. */
  fails: number;
  dropped: Record<string, number>;
}

export interface QueueOptions {
  chrome: ChromeApi;
  send: (category: Category, bodies: unknown[]) => Promise<SendResult>;
  batchDelayMs: number;
  maxBatchEvents: number;
  maxItems: number;
  maxBytes: number;
  maxAttempts: number;
}

export const QUEUE_KEY = 'homeostat:queue';
export const FLUSH_ALARM = 'homeostat:flush';

// sentry-javascript's offline transport: 5 s doubling to an hour (`transports/offline.ts`).
const START_DELAY = 5_000;
const MAX_DELAY = 3_600_000;
/** Chrome clamps alarms to at least 30 s (Chrome 120+); sooner work is done by a timer. */
const MIN_ALARM_MS = 30_000;
/** Requests per flush, so a flush always ends even if the queue refills as fast as it drains. */
const MAX_ROUNDS = 10;
/** Room for the envelope around the events in one request. */
const ENVELOPE_BYTES = 1_024;

/** Exponential backoff with "equal jitter": half fixed, half random, so installs spread out. */
export const backoff = (fails: number): number =>
  Math.min(MAX_DELAY, START_DELAY * 2 ** Math.max(0, fails - 1)) * (0.5 + Math.random() / 2);

/**
 * The delivery queue of the service worker. MV3 stops an idle worker after ~30 s and may kill it
 * mid-request, so every change is written to `chrome.storage.local` before it counts, and an item
 * leaves the queue only when the server has answered for it: a worker killed mid-request resends
 * the batch on restart, and the server recognises the event ids as duplicates. A timer flushes
 * while the worker lives; an alarm, which outlives it and wakes it, is the safety net.
 * Bounded: item count, bytes, attempts per item, requests per flush.
 */
export function createQueue(o: QueueOptions) {
  const { chrome } = o;
  const area = chrome.storage.local;
  let state: State | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let flushing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerDue = 0;

  /** Runs storage work one at a time: every read-modify-write sees the previous one's result. */
  function serial<T>(fn: (s: State) => T | Promise<T>): Promise<T> {
    const run = chain.then(async () => {
      if (!state) {
        const stored = (await area.get(QUEUE_KEY))[QUEUE_KEY] as State | undefined;
        state = stored?.items ? stored : { items: [], limits: {}, fails: 0, dropped: {} };
      }
      return fn(state);
    });
    chain = run.catch(() => {});
    return run;
  }

  const drop = (s: State, reason: string, n = 1) => {
    if (n) s.dropped[reason] = (s.dropped[reason] ?? 0) + n;
  };

  async function save(s: State): Promise<void> {
    try {
      await area.set({ [QUEUE_KEY]: s });
    } catch {
      // Over quota (Chrome names its internal quota, "Resource::kQuotaBytes…", field notes):
      // shed the older half and try once more; if even that fails the queue lives on in memory.
      const shed = Math.ceil(s.items.length / 2);
      drop(s, 'storage', shed);
      s.items.splice(0, shed);
      await area.set({ [QUEUE_KEY]: s }).catch(() => {});
    }
  }

  /** When the next request may go, or undefined when nothing waits. */
  function nextDue(s: State): number | undefined {
    let due: number | undefined;
    for (const item of s.items) {
      const at = Math.max(limitedUntil(s.limits, item.c), item.at + o.batchDelayMs);
      due = due === undefined ? at : Math.min(due, at);
    }
    return due;
  }

  function schedule(s: State): void {
    const due = nextDue(s);
    const now = Date.now();
    if (due === undefined) {
      clearTimeout(timer);
      timer = undefined;
      void chrome.alarms?.clear(FLUSH_ALARM).catch(() => {});
      return;
    }
    // A full batch goes now; otherwise the earliest due time wins and is never pushed back, so a
    // steady trickle of events cannot postpone delivery forever.
    const events = s.items.filter((i) => i.c === 'events').length;
    const at = events >= o.maxBatchEvents ? Math.max(now, limitedUntil(s.limits, 'events')) : due;
    if (!timer || at < timerDue) {
      clearTimeout(timer);
      timerDue = at;
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, at - now);
    }
    void chrome.alarms
      ?.create(FLUSH_ALARM, { when: Math.max(at, now + MIN_ALARM_MS) })
      .catch(() => {});
  }

  /**
   * The next request: the oldest sendable category's items, within count and body size. Unless
   * forced (`client.flush()`), only a full batch or one whose oldest item has waited
   * `batchDelayMs` goes.
   */
  function nextBatch(s: State, now: number, force: boolean) {
    for (const c of ['events', 'sessions'] as const) {
      if (limitedUntil(s.limits, c) > now) continue;
      const max = c === 'events' ? o.maxBatchEvents : LIMITS.maxSessions;
      const items: QueueItem[] = [];
      let bytes = ENVELOPE_BYTES;
      for (const item of s.items) {
        if (item.c !== c) continue;
        if (items.length >= max || bytes + item.b > LIMITS.maxBodyBytes) break;
        items.push(item);
        bytes += item.b + 1;
      }
      const first = items[0];
      if (first && (force || items.length >= max || first.at + o.batchDelayMs <= now)) {
        return { c, items };
      }
    }
    return undefined;
  }

  function apply(s: State, sent: QueueItem[], c: Category, r: SendResult, now: number): void {
    const done = new Set(sent.map((i) => i.id));
    if (r.kind === 'ok') {
      s.fails = 0;
      // Events the server rate-limited stay queued until its Retry-After.
      for (const id of r.limited) done.delete(id);
      if (r.limited.length) s.limits[c] = now + (r.retryAfterMs || DEFAULT_RETRY_AFTER_MS);
    } else if (r.kind === 'limited') {
      s.limits[c] = now + r.retryAfterMs;
      done.clear();
    } else if (r.kind === 'retry') {
      s.fails++;
      s.limits.all = now + (r.retryAfterMs ?? backoff(s.fails));
      done.clear();
      for (const item of sent) if (++item.n >= o.maxAttempts) done.add(item.id);
      drop(s, 'retries', done.size);
    } else {
      drop(s, r.reason, sent.length);
    }
    s.items = s.items.filter((i) => !done.has(i.id));
  }

  async function round(force: boolean): Promise<boolean> {
    const now = Date.now();
    const batch = await serial((s) => nextBatch(s, now, force));
    if (!batch) return false;
    const result = await o.send(
      batch.c,
      batch.items.map((i) => i.body),
    );
    await serial((s) => {
      apply(s, batch.items, batch.c, result, Date.now());
      return save(s);
    });
    return result.kind === 'ok' || result.kind === 'drop';
  }

  /** Sends what is due (all that may be sent, if forced), one request at a time. */
  function flush(force = false): Promise<void> {
    if (flushing) return force ? flushing.then(() => flush(true)) : flushing;
    flushing = (async () => {
      try {
        let rounds = 0;
        while (rounds++ < MAX_ROUNDS && (await round(force))) {
          // next request
        }
      } catch {
        // Storage itself failed; what is queued stays, and the alarm tries again.
      }
      flushing = undefined;
      await serial(schedule).catch(() => {});
    })();
    return flushing;
  }

  return {
    flush,
    /** Adds an item; false when the queue is full or the item alone is too large to send. */
    push(c: Category, id: string, body: unknown): Promise<boolean> {
      const b = byteLength(JSON.stringify(body));
      return serial(async (s) => {
        const bytes = s.items.reduce((sum, i) => sum + i.b, b);
        const reason =
          b + ENVELOPE_BYTES > LIMITS.maxBodyBytes
            ? 'too_large'
            : s.items.length >= o.maxItems || bytes > o.maxBytes
              ? 'queue_overflow'
              : undefined;
        // Like sentry-javascript's offline store, a full queue refuses the newcomer: the first
        // errors of a burst say the most, and dedupe already keeps repeats out.
        if (reason) drop(s, reason);
        else s.items.push({ id, c, at: Date.now(), n: 0, b, body });
        await save(s);
        schedule(s);
        return !reason;
      });
    },
    /** Loads what a previous worker left and schedules it. */
    start: () => serial(schedule),
    /** Drops items older than `maxAgeMs`, which no retry schedule reaches (a long offline). */
    expire: (maxAgeMs: number) =>
      serial((s) => {
        const before = s.items.length;
        s.items = s.items.filter((i) => i.at > Date.now() - maxAgeMs);
        drop(s, 'expired', before - s.items.length);
        return save(s);
      }),
    stats: () => serial((s) => ({ queued: s.items.length, dropped: { ...s.dropped } })),
  };
}

export type Queue = ReturnType<typeof createQueue>;
