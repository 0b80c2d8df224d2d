import type { ChromeApi } from './chrome.d.ts';

/*
 * The wire types, spelled out rather than imported from `@homeostat/shared` so the published
 * declarations stand alone (shared is not published). test/types.test.ts holds each equal to the
 * zod-inferred type of packages/shared/src/wire/ingest.schema.ts.
 */

/** Where in the extension an event happened (architecture.md, "Ingest — POST /v1/events"). */
export type Surface =
  | 'background'
  | 'popup'
  | 'options'
  | 'content'
  | 'sidepanel'
  | 'devtools'
  | 'offscreen'
  | 'page'
  | 'unknown';

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
  /** How the error was caught (`onerror`, `chrome.runtime.onMessage`, `wrap`…); a tag. */
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
