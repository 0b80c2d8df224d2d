import type { GlobalTarget, Integration } from '../types.ts';

/**
 * `error` and `unhandledrejection` on the context's global (`self` in the service worker,
 * `window` in pages and content scripts), as sentry-javascript's GlobalHandlers. Listeners, not
 * `onerror` assignments, so nothing of the host page is replaced: a content script's listeners
 * live in its isolated world and do fire there (architecture.md field notes).
 *
 * In a content script the window is shared with the page, so an error counts only when it is
 * ours: raised from a script of our origin, or frameless (a failed `chrome.*` call rejects with
 * an `Error` that has no frames at all, architecture.md field notes). Sentry drops extension
 * frames as noise from other people's code (§7); for an extension team the page is the noise.
 */
export function globalHandlersIntegration(): Integration {
  return {
    name: 'GlobalHandlers',
    setup(client) {
      const target = client.options.global ?? (globalThis as unknown as GlobalTarget);
      const own = client.chrome.runtime.getURL('');
      const ours = (file: string | undefined, error: unknown) => {
        if (client.surface !== 'content') return true;
        const stack = String((error as { stack?: unknown } | null)?.stack ?? '');
        return file ? file.startsWith(own) : stack.includes(own) || !/\n\s*at |@/.test(stack);
      };
      target.addEventListener('error', (e) => {
        const { error, message, filename } = e as ErrorEvent;
        if (ours(filename, error))
          client.captureException(error ?? message, { mechanism: 'onerror' });
      });
      target.addEventListener('unhandledrejection', (e) => {
        const { reason } = e as PromiseRejectionEvent;
        if (ours(undefined, reason)) {
          client.captureException(reason, { mechanism: 'onunhandledrejection' });
        }
      });
    },
  };
}
