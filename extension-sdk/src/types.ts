/// <reference types="chrome" preserve="true" />
// The reference above makes the published declarations pull in `@types/chrome`, whose types
// the `chrome` option and `Client.chrome` are made of.

/*
 * The wire types, spelled out rather than imported from `@homeostat/shared` so the published
 * declarations stand alone (shared is not published). test/contract.test.ts holds each equal to
 * the zod-inferred type of packages/shared/src/wire/ingest.schema.ts.
 */

/** Where in the extension an event happened (docs/api.md#post-v1events). */
export type Surface =
  | 'background'
  | 'popup'
  | 'options'
  | 'content'
  | 'sidepanel'
  | 'devtools'
  | 'offscreen'
  | 'page'
  | 'unknown'
  /** A failed end-to-end test reported from CI (`POST /v1/test-failures`); never set by the SDK. */
  | 'test';

export interface Breadcrumb {
  timestamp: number;
  category: string;
  message?: string | undefined;
  level?: 'debug' | 'info' | 'warning' | 'error' | undefined;
  data?: Record<string, unknown> | undefined;
}

/** One event as sent to `POST /v1/events`. */
export interface IngestEvent {
  eventId: string;
  timestamp: number;
  surface: Surface;
  sessionId?: string | undefined;
  error: { type: string; message: string; stack?: string | undefined };
  breadcrumbs?: Breadcrumb[] | undefined;
  tags?: Record<string, string> | undefined;
  context?: Record<string, unknown> | undefined;
  userReport?: { description: string } | undefined;
  fingerprint?: string | undefined;
}

/** What a `captureX` call adds to the event it builds. */
export interface CaptureHint {
  /** How the error was caught (`onerror`, `runtime.onMessage`, `wrap`…); a tag. */
  mechanism?: string;
  tags?: Record<string, string>;
  context?: Record<string, unknown>;
}

/**
 * An integration after sentry-javascript's `{ name, setup }` objects made by factories
 * (`packages/core/src/integration.ts`): it hooks a source of errors or breadcrumbs into a client.
 */
export interface Integration {
  name: string;
  setup(client: Client): void;
}

/** Where a global `error`/`unhandledrejection` listener goes: `self` or `window`. */
export interface GlobalTarget {
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** A `chrome.events.Event` as far as the SDK uses it. */
export interface ChromeEvent<F> {
  addListener(callback: F): void;
  removeListener(callback: F): void;
  hasListener(callback: F): boolean;
}

/** `chrome.storage.StorageArea`, promise form, as far as the SDK uses it. */
export interface StorageArea {
  get(keys: string | string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/**
 * The part of `chrome.*` (typed by `@types/chrome`) the SDK touches, in the promise form of
 * Manifest V3. The real `chrome` is one (test/contract.test.ts), and the tests' stand-in
 * implements exactly this, so the SDK can never rely on something the stand-in lacks.
 */
export interface ChromeApi {
  runtime: {
    id: string;
    /** Set only while the callback of a failed callback-style call runs. */
    lastError?: chrome.runtime.LastError | undefined;
    getManifest(): chrome.runtime.Manifest;
    getURL(path: string): string;
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: ChromeEvent<
      (
        message: unknown,
        sender: chrome.runtime.MessageSender,
        sendResponse: (response?: unknown) => void,
      ) => void
    >;
  };
  storage: {
    local: StorageArea;
    /** In memory, cleared when the browser or the extension restarts (Chrome 102+). */
    session?: StorageArea;
  };
  /** Needs the `alarms` permission; absent in content scripts. */
  alarms?: {
    create(name: string, info: chrome.alarms.AlarmCreateInfo): Promise<void>;
    clear(name: string): Promise<boolean>;
    get(name: string): Promise<chrome.alarms.Alarm | undefined>;
    onAlarm: ChromeEvent<(alarm: chrome.alarms.Alarm) => void>;
  };
}

export interface Options {
  /** Ingest base URL, e.g. `https://ingest.example.com`. Needed by the service worker only. */
  endpoint?: string;
  /** The extension's public ingest key. Needed by the service worker only. */
  key?: string;
  /** Detected from the context and the manifest; pass it where detection cannot tell (`offscreen`). */
  surface?: Surface;
  /** Edits or drops (`null`) an event before it is scrubbed, fingerprinted and queued. */
  beforeSend?: (event: IngestEvent) => IngestEvent | null | Promise<IngestEvent | null>;
  /** The defaults for the surface, or a function from them to the list to use. */
  integrations?: Integration[] | ((defaults: Integration[]) => Integration[]);
  /** Tags on every event of this context. */
  tags?: Record<string, string>;
  /** Breadcrumbs kept per context; at most 100 (the wire limit). Default 20. */
  maxBreadcrumbs?: number;
  /** A fingerprint is sent at most once per window. Default 7 days. */
  dedupeWindowMs?: number;
  /** Time batching: how long an event may wait for others. Default 2 s. */
  batchDelayMs?: number;
  /** Size batching: events per request (wire limit 50). Default 20. */
  maxBatchEvents?: number;
  /** Queue bounds, persisted in `chrome.storage.local`. Defaults 100 items, 512 KiB. */
  maxQueueItems?: number;
  maxQueueBytes?: number;
  /** Failed deliveries of one item before it is dropped. Default 10. */
  maxAttempts?: number;
  /** For tests and unusual hosts: the `chrome` object, `fetch` and the global event target. */
  chrome?: ChromeApi;
  fetch?: typeof fetch;
  global?: GlobalTarget;
}

export interface Client {
  readonly surface: Surface;
  readonly chrome: ChromeApi;
  readonly options: Options;
  /** Returns the event id, or undefined when the error was already reported or is dropped. */
  captureException(error: unknown, hint?: CaptureHint): string | undefined;
  captureMessage(message: string, hint?: CaptureHint): string | undefined;
  /** A user's own report: always sent, whatever dedupe says. */
  report(description: string, error?: unknown): string | undefined;
  /**
   * Reports `chrome.runtime.lastError` if set (which also marks it checked); true if it was.
   * `below`: the outermost function whose frames are cut from the stack (default: this method).
   */
  reportLastError(hint?: CaptureHint, below?: unknown): boolean;
  addBreadcrumb(crumb: Omit<Breadcrumb, 'timestamp'> & { timestamp?: number }): void;
  /** `fn` with its throws and rejections captured, then passed on unchanged. */
  wrap<F extends (...args: never[]) => unknown>(fn: F, mechanism?: string): F;
  /** Resolves when every captured event is queued and the queue has been tried once. */
  flush(): Promise<void>;
  /** What is waiting and what was dropped, by reason; for diagnostics and tests. */
  stats(): Promise<Stats>;
}

export interface Stats {
  /** Events captured here and not yet handed on (beforeSend, relay, scrub, dedupe). */
  pending: number;
  /** Items in the service worker's queue (0 elsewhere). */
  queued: number;
  dropped: Record<string, number>;
}
