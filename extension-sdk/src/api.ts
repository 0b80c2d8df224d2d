import type { CaptureHint, Client } from './types.ts';

/**
 * The module-level API over the client `init()` made, as `Sentry.captureException` is over the
 * current client. Before `init()` (or where it threw) every call is a no-op.
 */
let current: Client | undefined;

export function setClient(client: Client): Client {
  current = client;
  return client;
}

export const getClient = (): Client | undefined => current;

/**
 * Reports an error caught by the extension's own code.
 * @example
 * try { await chrome.tabs.get(tabId); } catch (e) { captureException(e, { tags: { flow: 'sync' } }); }
 */
export const captureException = (error: unknown, hint?: CaptureHint): string | undefined =>
  current?.captureException(error, hint);

/** Reports a message as an event of type `Message`. */
export const captureMessage = (message: string, hint?: CaptureHint): string | undefined =>
  current?.captureMessage(message, hint);

/**
 * A user's report from a "Report a problem" button: always sent, never deduped.
 * @example
 * reportButton.onclick = () => report(textarea.value);
 */
export const report = (description: string, error?: unknown): string | undefined =>
  current?.report(description, error);

/**
 * In a callback-style `chrome.*` callback, reports `chrome.runtime.lastError` if set (reading it
 * also silences Chrome's "Unchecked runtime.lastError" warning). True when there was one.
 * @example
 * chrome.tabs.sendMessage(tabId, msg, () => { if (reportLastError()) return; … });
 */
export function reportLastError(hint?: CaptureHint): boolean {
  return current?.reportLastError(hint, reportLastError) ?? false;
}

export const addBreadcrumb: Client['addBreadcrumb'] = (crumb) => current?.addBreadcrumb(crumb);

/**
 * `fn` with its errors reported: the content-script way to cover a callback without touching the
 * page's globals.
 * @example
 * button.addEventListener('click', wrap(() => save()));
 */
export function wrap<F extends (...args: never[]) => unknown>(fn: F, mechanism?: string): F {
  return current ? current.wrap(fn, mechanism) : fn;
}

export const flush = (): Promise<void> => current?.flush() ?? Promise.resolve();
