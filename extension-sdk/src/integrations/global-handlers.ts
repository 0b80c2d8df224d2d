import type { Client, GlobalTarget, Integration } from '../types.ts';

/**
 * `error` and `unhandledrejection` on the context's global (`self` in the service worker,
 * `window` in pages and content scripts), as sentry-javascript's GlobalHandlers. Listeners, not
 * `onerror` assignments, so nothing of the host page is replaced: a content script's listeners
 * live in its isolated world and do fire there (docs/architecture.md#chrome-field-notes). `ours`
 * tells the errors to report from the rest (relay.ts: the host page's own errors in a content
 * script).
 */
export function globalHandlers(
  ours?: (client: Client, file: string | undefined, error: unknown) => boolean,
): Integration {
  return {
    name: 'GlobalHandlers',
    setup(client) {
      const target = client.options.global ?? (globalThis as unknown as GlobalTarget);
      for (const type of ['error', 'unhandledrejection']) {
        target.addEventListener(type, (e) => {
          const { error, message, filename } = e as ErrorEvent;
          const value = 'reason' in e ? e.reason : (error ?? message);
          if (!ours || ours(client, filename, value)) {
            client.captureException(value, { mechanism: `on${type}` });
          }
        });
      }
    },
  };
}

/** The service worker's global handlers: every error there is the extension's. */
export const globalHandlersIntegration = (): Integration => globalHandlers();
