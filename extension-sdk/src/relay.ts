import { chromeOf, createClient } from './client.ts';
import { chromeListenersIntegration } from './integrations/chrome-listeners.ts';
import { globalHandlers } from './integrations/global-handlers.ts';
import { detectSurface } from './surface.ts';
import type { Client, IngestEvent, Integration, Options } from './types.ts';

/** The marker of the SDK's own messages; the service worker's `onMessage` wrapper hides them. */
const RELAY = '__homeostat';

export interface RelayMessage {
  [RELAY]: 1;
  event: IngestEvent;
}

export const isRelayMessage = (message: unknown): message is RelayMessage =>
  (message as Partial<RelayMessage> | null | undefined)?.[RELAY] === 1;

/**
 * `error` and `unhandledrejection` in pages and content scripts. In a content script the window
 * is shared with the page, so an error counts only when it is ours: raised from a script of our
 * origin, or frameless (a failed `chrome.*` call rejects with an `Error` that has no frames at
 * all, docs/architecture.md#chrome-field-notes). Sentry drops extension frames as noise from other
 * people's code (research/error-tracking.md §7); for an extension team the page is the noise.
 */
export const pageGlobalHandlersIntegration = (): Integration =>
  globalHandlers((client, file, error) => {
    if (client.surface !== 'content') return true;
    const own = client.chrome.runtime.getURL('');
    const stack = String((error as { stack?: unknown } | null)?.stack ?? '');
    return file ? file.startsWith(own) : stack.includes(own) || !/\n\s*at |@/.test(stack);
  });

/**
 * The client of an extension page or a content script. Its events go to the service worker by
 * message: a content script cannot post to ingest itself (MV3 subjects its fetches to the host
 * page's CORS), and a popup may close before a request finishes; a message wakes a stopped worker
 * and is delivered whole. One retry covers a worker that was starting up; then the event is
 * counted as lost.
 */
export function pageClient(options: Options): Client {
  const chrome = chromeOf(options);
  const surface = options.surface ?? detectSurface(globalThis, chrome);
  if (surface === 'background') {
    throw new Error("homeostat: the service worker needs init() from '@homeostat/extension-sdk'");
  }
  // Bound now, before a breadcrumbs integration wraps it: the SDK's messages are no breadcrumbs.
  const sendMessage = chrome.runtime.sendMessage.bind(chrome.runtime);
  const dropped: Record<string, number> = {};
  const drop = (reason: string) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };
  return createClient(
    options,
    chrome,
    surface,
    {
      drop,
      stats: async () => ({ queued: 0, dropped: { ...dropped } }),
      async send(event) {
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            if ((await sendMessage({ [RELAY]: 1, event })) === true) return;
          } catch {
            // "Could not establish connection. Receiving end does not exist." (no worker SDK yet)
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
        drop('relay');
      },
    },
    () => [pageGlobalHandlersIntegration(), chromeListenersIntegration()],
  );
}
