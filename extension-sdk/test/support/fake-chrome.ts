import type { ChromeApi, ChromeEvent, StorageArea } from '../../src/types.ts';

type Alarm = chrome.alarms.Alarm;
type AlarmCreateInfo = chrome.alarms.AlarmCreateInfo;
type Manifest = chrome.runtime.Manifest;
type MessageSender = chrome.runtime.MessageSender;
type MessageListener = Parameters<ChromeApi['runtime']['onMessage']['addListener']>[0];

/**
 * A stand-in for the `chrome.*` APIs the SDK uses, faithful where the SDK's correctness depends
 * on it:
 * - storage areas are asynchronous, store JSON copies (as Chrome does: `undefined` and functions
 *   vanish, later changes to the caller's object do not leak in), hand objects back with their
 *   keys sorted (Chrome keeps them in `base::Value` dictionaries, which are sorted maps), count
 *   bytes as Chrome's `getBytesInUse` does (key length + JSON length) and reject a `set` over
 *   quota with Chrome's own message, leaving the area unchanged;
 * - `storage.local` and alarms belong to the browser profile and outlive a service worker;
 *   `storage.session` is cleared when the browser restarts;
 * - alarms fire through timers (so `vi.useFakeTimers` drives them) and are clamped to 30 s, as
 *   Chrome 120+ does; a fired alarm is delivered to the live worker, or starts one;
 * - a throw inside an event listener is caught and logged by the "browser", never reaching the
 * global `error` handler (docs/architecture.md#chrome-field-notes); `errors` keeps them for
 * assertions;
 * - `runtime.sendMessage` reaches the other contexts' `onMessage` listeners, resolves with the
 *   first `sendResponse` (waiting when a listener returned `true`), and rejects with Chrome's
 *   message when no one listens;
 * - `lastError` is set only while a callback-style callback runs.
 * A killed context's APIs never settle again, like the continuations of a stopped worker.
 */

export const QUOTA_ERROR = 'Resource::kQuotaBytes quota exceeded';
const MIN_ALARM_MS = 30_000;

export class FakeEvent<F extends (...args: never[]) => unknown> implements ChromeEvent<F> {
  readonly listeners: F[] = [];
  private readonly onError: (error: unknown) => void;
  constructor(onError: (error: unknown) => void) {
    this.onError = onError;
  }
  addListener(callback: F): void {
    if (!this.listeners.includes(callback)) this.listeners.push(callback);
  }
  removeListener(callback: F): void {
    const i = this.listeners.indexOf(callback);
    if (i >= 0) this.listeners.splice(i, 1);
  }
  hasListener(callback: F): boolean {
    return this.listeners.includes(callback);
  }
  /** Calls every listener as Chrome does; returns what each returned or threw. */
  dispatch(...args: Parameters<F>): ({ value: unknown } | { thrown: unknown })[] {
    return [...this.listeners].map((listener) => {
      try {
        return { value: listener(...args) };
      } catch (thrown) {
        this.onError(thrown);
        return { thrown };
      }
    });
  }
}

export class FakeStorageArea implements StorageArea {
  data = new Map<string, string>();
  /** Calls made, for tests that count writes. */
  writes = 0;
  quotaBytes: number;
  constructor(quotaBytes = 10_485_760) {
    this.quotaBytes = quotaBytes;
  }

  bytesInUse(): number {
    let n = 0;
    for (const [k, v] of this.data) n += k.length + v.length;
    return n;
  }
  async get(keys: string | string[]): Promise<Record<string, unknown>> {
    await Promise.resolve();
    const wanted = typeof keys === 'string' ? [keys] : keys;
    const out: Record<string, unknown> = {};
    for (const k of wanted) {
      const v = this.data.get(k);
      if (v !== undefined) out[k] = JSON.parse(v, sortKeys);
    }
    return out;
  }
  async set(items: Record<string, unknown>): Promise<void> {
    await Promise.resolve();
    this.writes++;
    const next = new Map(this.data);
    for (const [k, v] of Object.entries(items)) {
      const json = JSON.stringify(v);
      if (json === undefined) next.delete(k);
      else next.set(k, json);
    }
    let bytes = 0;
    for (const [k, v] of next) bytes += k.length + v.length;
    if (bytes > this.quotaBytes) throw new Error(QUOTA_ERROR);
    this.data = next;
  }
  /** A value as stored, for assertions. */
  peek(key: string): unknown {
    const v = this.data.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
}

function sortKeys(_key: string, value: unknown): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value;
}

export const DEFAULT_MANIFEST: Manifest = {
  manifest_version: 3,
  name: 'Test extension',
  version: '1.4.2',
  action: { default_popup: 'popup.html' },
  options_ui: { page: 'options.html' },
  side_panel: { default_path: 'panel.html' },
};

export interface FakeContext {
  chrome: ChromeApi & {
    runtime: ChromeApi['runtime'] & {
      onMessage: FakeEvent<MessageListener>;
      onInstalled: FakeEvent<(details: { reason: string }) => void>;
    };
    alarms: NonNullable<ChromeApi['alarms']> & {
      onAlarm: FakeEvent<(alarm: Alarm) => void>;
      getAll(): Promise<Alarm[]>;
    };
    tabs: { sendMessage(tabId: number, message: unknown): Promise<unknown> };
  };
  kind: 'worker' | 'page' | 'content';
  alive: boolean;
  /** Stops this context: its listeners go, its pending and future API calls never settle. */
  kill(): void;
  onKill?: () => void;
  /** Runs `fn` as Chrome runs a callback-style callback after a failed call. */
  withLastError<T>(message: string, fn: () => T): T;
}

/** The browser side: one profile with one extension, whose contexts come and go. */
export class ChromeBackend {
  readonly id = 'abcdefghijklmnopabcdefghijklmnop';
  readonly local = new FakeStorageArea();
  session = new FakeStorageArea();
  readonly alarms = new Map<string, { alarm: Alarm; timer: ReturnType<typeof setTimeout> }>();
  readonly contexts: FakeContext[] = [];
  /** Errors thrown inside listeners, which Chrome logs as "Error in event handler". */
  readonly errors: unknown[] = [];
  /** What starts a service worker when an event arrives and none is running. */
  startWorker: (() => FakeContext) | undefined;

  readonly manifest: Manifest;
  constructor(manifest: Manifest = DEFAULT_MANIFEST) {
    this.manifest = manifest;
  }

  get worker(): FakeContext | undefined {
    return this.contexts.find((c) => c.kind === 'worker' && c.alive);
  }

  /** A browser restart: session storage is gone, alarms and local storage stay. */
  restartBrowser(): void {
    for (const c of this.contexts) c.kill();
    this.session = new FakeStorageArea();
  }

  private fireAlarm(name: string): void {
    const entry = this.alarms.get(name);
    if (!entry) return;
    const { alarm } = entry;
    if (alarm.periodInMinutes) {
      const next = Date.now() + alarm.periodInMinutes * 60_000;
      this.scheduleAlarm({ ...alarm, scheduledTime: next });
    } else {
      this.alarms.delete(name);
    }
    const worker = this.worker ?? this.startWorker?.();
    worker?.chrome.alarms.onAlarm.dispatch({ ...alarm });
  }

  private scheduleAlarm(alarm: Alarm): void {
    const old = this.alarms.get(alarm.name);
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(
      () => this.fireAlarm(alarm.name),
      Math.max(0, alarm.scheduledTime - Date.now()),
    );
    this.alarms.set(alarm.name, { alarm, timer });
  }

  context(kind: FakeContext['kind'] = 'worker', url?: string): FakeContext {
    let alive = true;
    // A dead context's promises never settle, like code after its worker was stopped.
    const live = <T>(fn: () => Promise<T>): Promise<T> =>
      alive ? fn().then((v) => (alive ? v : new Promise<T>(() => {}))) : new Promise<T>(() => {});
    const area = (which: () => FakeStorageArea): StorageArea => ({
      get: (keys) => live(() => which().get(keys)),
      set: (items) => live(() => which().set(items)),
    });
    const onError = (e: unknown) => this.errors.push(e);
    const onMessage = new FakeEvent<MessageListener>(onError);
    const sender: MessageSender = {
      id: this.id,
      // A content script's sender is the page it runs in.
      url:
        url ??
        (kind === 'content'
          ? 'https://shop.example/cart'
          : `chrome-extension://${this.id}/${kind === 'worker' ? 'background.js' : 'page.html'}`),
      // A content script's sender carries its whole tab; the SDK does not look into it.
      ...(kind === 'content' ? { tab: { id: 7 } as chrome.tabs.Tab, frameId: 0 } : {}),
    };
    const sendMessage = (message: unknown) =>
      live(async () => {
        await Promise.resolve();
        // Chrome starts the worker for a message if it is not running.
        if (!this.worker && kind !== 'worker') this.startWorker?.();
        const targets = this.contexts.filter((c) => c !== ctx && c.alive && c.kind !== 'content');
        return deliver(targets, JSON.parse(JSON.stringify(message)), sender);
      });
    const ctx: FakeContext = {
      kind,
      get alive() {
        return alive;
      },
      kill() {
        alive = false;
        ctx.onKill?.();
        onMessage.listeners.length = 0;
        ctx.chrome.alarms.onAlarm.listeners.length = 0;
      },
      withLastError(message, fn) {
        ctx.chrome.runtime.lastError = { message };
        try {
          return fn();
        } finally {
          ctx.chrome.runtime.lastError = undefined;
        }
      },
      chrome: {
        runtime: {
          id: this.id,
          lastError: undefined,
          getManifest: () => structuredClone(this.manifest),
          getURL: (path: string) => `chrome-extension://${this.id}/${path.replace(/^\//, '')}`,
          sendMessage,
          onMessage,
          onInstalled: new FakeEvent(onError),
        },
        storage: {
          local: area(() => this.local),
          ...(kind === 'content' ? {} : { session: area(() => this.session) }),
        },
        alarms: {
          create: (name: string, info: AlarmCreateInfo) =>
            live(async () => {
              const now = Date.now();
              const at =
                info.when ?? now + (info.delayInMinutes ?? info.periodInMinutes ?? 0) * 60_000;
              const alarm: Alarm = {
                name,
                scheduledTime: Math.max(at, now + MIN_ALARM_MS),
                persistAcrossSessions: true,
              };
              if (info.periodInMinutes) alarm.periodInMinutes = info.periodInMinutes;
              this.scheduleAlarm(alarm);
            }),
          clear: (name: string) =>
            live(async () => {
              const entry = this.alarms.get(name);
              if (entry) clearTimeout(entry.timer);
              return this.alarms.delete(name);
            }),
          get: (name: string) => live(async () => this.alarms.get(name)?.alarm),
          getAll: () => live(async () => [...this.alarms.values()].map((e) => e.alarm)),
          onAlarm: new FakeEvent(onError),
        },
        tabs: {
          sendMessage: (_tabId: number, message: unknown) =>
            live(async () =>
              deliver(
                this.contexts.filter((c) => c.alive && c.kind === 'content'),
                message,
                sender,
              ),
            ),
        },
      },
    };
    if (kind === 'content') {
      // Content scripts get neither alarms nor session storage.
      Reflect.deleteProperty(ctx.chrome, 'alarms');
      Reflect.deleteProperty(ctx.chrome, 'tabs');
    }
    this.contexts.push(ctx);
    return ctx;
  }
}

function deliver(
  targets: FakeContext[],
  message: unknown,
  sender: MessageSender,
): Promise<unknown> {
  const listeners = targets.flatMap((c) => c.chrome.runtime.onMessage.listeners);
  if (!listeners.length) {
    return Promise.reject(
      new Error('Could not establish connection. Receiving end does not exist.'),
    );
  }
  return new Promise((resolve, reject) => {
    let waiting = false;
    let answered = false;
    const respond = (response?: unknown) => {
      if (!answered) {
        answered = true;
        resolve(response);
      }
    };
    for (const c of targets) {
      for (const outcome of c.chrome.runtime.onMessage.dispatch(message, sender, respond)) {
        if ('thrown' in outcome && !answered) {
          // The sender gets a plain Error with the message only
          // (docs/architecture.md#chrome-field-notes).
          answered = true;
          reject(new Error(String((outcome.thrown as Error | undefined)?.message)));
        } else if ('value' in outcome && outcome.value === true) waiting = true;
      }
    }
    if (!waiting) respond(undefined);
  });
}
