import { computeFingerprint, scrubEvent } from '@homeostat/shared';
import type { ChromeApi } from './chrome.d.ts';
import { createDedupe, DAY_MS } from './dedupe.ts';
import { randomId } from './event.ts';
import { createQueue, FLUSH_ALARM } from './queue.ts';
import { isRelayMessage } from './relay.ts';
import { createTransport } from './transport/base.ts';
import { makeFetchExecutor } from './transport/fetch.ts';
import type { IngestEvent, Options } from './types.ts';
import { SDK_VERSION } from './version.ts';

export const INSTALL_KEY = 'homeostat:install';
export const SESSION_KEY = 'homeostat:session';
export const CLEANUP_ALARM = 'homeostat:cleanup';

/**
 * The service worker's half of the SDK: the only context that writes `chrome.storage`, holds the
 * queue and talks to ingest. Pages and content scripts relay their events here, so one queue,
 * one dedupe record and one rate-limit state serve the whole extension, and a popup that closes
 * right after an error loses nothing (its message has already reached the worker).
 *
 * Its listeners are added synchronously from `init()`: MV3 delivers the event that woke a stopped
 * worker (our flush alarm, a relayed event) only to listeners added in the first turn.
 */
export function createHub(chrome: ChromeApi, options: Options) {
  const { endpoint, key } = options;
  if (!endpoint || !key)
    throw new Error('homeostat: init() in the service worker needs endpoint and key');
  const local = chrome.storage.local;
  const manifest = chrome.runtime.getManifest();
  const dedupe = createDedupe(local, options.dedupeWindowMs ?? 7 * DAY_MS);
  let envelope: Record<string, unknown> | undefined;
  let sessionId: string | undefined;

  const transport = createTransport({ endpoint, key }, makeFetchExecutor(options.fetch));
  const queue = createQueue({
    chrome,
    send: (c, bodies) => transport(c, { ...envelope, [c]: bodies }),
    batchDelayMs: options.batchDelayMs ?? 2_000,
    maxBatchEvents: Math.min(options.maxBatchEvents ?? 20, 50),
    maxItems: options.maxQueueItems ?? 100,
    maxBytes: options.maxQueueBytes ?? 512 * 1024,
    maxAttempts: options.maxAttempts ?? 10,
  });

  chrome.alarms?.onAlarm.addListener((alarm) => {
    if (alarm.name === CLEANUP_ALARM) void ready.then(cleanup);
    if (alarm.name === FLUSH_ALARM) void ready.then(() => queue.flush());
  });
  chrome.runtime.onMessage.addListener((message, sender, respond) => {
    if (!isRelayMessage(message) || sender.id !== chrome.runtime.id) return;
    // Answered once the event is persisted, so the sender knows it is safe to go away.
    accept(message.event).then(
      () => respond(true),
      () => respond(false),
    );
    return true;
  });

  const cleanup = () => Promise.all([dedupe.cleanup(), queue.expire(7 * DAY_MS)]);

  const ready = (async () => {
    const stored = (await local.get(INSTALL_KEY))[INSTALL_KEY];
    const install = typeof stored === 'string' ? stored : randomId();
    if (install !== stored) await local.set({ [INSTALL_KEY]: install });
    envelope = {
      sdk: { name: 'homeostat.extension', version: SDK_VERSION },
      extension: { id: chrome.runtime.id, version: manifest.version },
      install: { id: install },
    };
    // A session lasts while the browser runs this version of the extension: storage.session is
    // cleared on browser restart and on extension reload or update, but not when the worker
    // stops, so the ~30 s idle stops of MV3 do not inflate the session count.
    const area = chrome.storage.session;
    const current = await area?.get(SESSION_KEY).then(
      (r) => r[SESSION_KEY],
      () => undefined,
    );
    sessionId = typeof current === 'string' ? current : randomId();
    if (sessionId !== current) {
      // Without storage.session (Chrome before 102) a session is one worker's life.
      await area?.set({ [SESSION_KEY]: sessionId }).catch(() => {});
      await queue.push('sessions', sessionId, { sessionId, startedAt: Date.now() });
    }
    await queue.start();
    // The daily cleanup job; events need not wait for it.
    void (async () => {
      if (chrome.alarms && !(await chrome.alarms.get(CLEANUP_ALARM))) {
        await chrome.alarms.create(CLEANUP_ALARM, { periodInMinutes: 24 * 60 });
        await cleanup();
      }
    })().catch(() => {});
  })();
  ready.catch(() => {});

  /**
   * Scrubs, fingerprints, dedupes and queues one event. Scrubbing comes after every change that
   * can carry data (`beforeSend` ran in the capturing context), and the fingerprint is computed
   * on exactly what is sent with the server's own code (`computeFingerprint`), so client and
   * server agree on the group.
   */
  async function accept(raw: IngestEvent): Promise<void> {
    await ready;
    const event = scrubEvent(raw);
    const { fingerprint } = await computeFingerprint({ ...event.error, surface: event.surface });
    const verdict = await dedupe.check(fingerprint, event.userReport !== undefined);
    if (!verdict.send) return;
    event.fingerprint = fingerprint;
    event.sessionId ??= sessionId;
    if (verdict.suppressed) {
      event.context = {
        ...event.context,
        dedupe: { suppressed: verdict.suppressed, total: verdict.total },
      };
    }
    // Refused by a full queue: not sent, so not counted as sent for the window either.
    if (!(await queue.push('events', event.eventId, event)))
      await dedupe.release(fingerprint, verdict);
  }

  return {
    accept,
    flush: () => ready.then(() => queue.flush(true)),
    stats: () => queue.stats(),
  };
}

export type Hub = ReturnType<typeof createHub>;
