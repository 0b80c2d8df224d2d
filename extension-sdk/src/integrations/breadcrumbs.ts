import { isRelayMessage } from '../relay.ts';
import type { Integration } from '../types.ts';

export interface BreadcrumbsOptions {
  /** `console.*` calls. Not in content scripts. Default true. */
  console?: boolean;
  /** Page loads and in-page navigation of extension pages. Default true. */
  navigation?: boolean;
  /** Messages sent (`runtime.sendMessage`, `tabs.sendMessage`) and received. Default true. */
  messages?: boolean;
}

const LEVELS = {
  debug: 'debug',
  info: 'info',
  log: 'info',
  warn: 'warning',
  error: 'error',
} as const;

const describe = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

type Api = { sendMessage?: (...args: unknown[]) => unknown; onMessage?: unknown } | undefined;
type Sender = { id?: string; url?: string } | undefined;
type Received = { addListener?(fn: (message: unknown, sender: Sender) => void): void };

/**
 * Breadcrumbs: console output, navigation of extension pages, and messages sent and received.
 * They are kept per context, bounded by `maxBreadcrumbs`, and cut to the wire limits and
 * scrubbed with the event in the service worker. In a content script only messages are recorded:
 * the console and the location belong to the host page, whose globals the SDK never patches
 * (Sentry's rule for embedded extension contexts, research/aesthetics.md §5).
 *
 * An optional integration (`@homeostat/extension-sdk/breadcrumbs`), left out of the core so the
 * service worker's bundle stays within its size budget:
 * `integrations: (defaults) => [...defaults, breadcrumbsIntegration()]`.
 */
export function breadcrumbsIntegration(options: BreadcrumbsOptions = {}): Integration {
  return {
    name: 'Breadcrumbs',
    setup(client) {
      const page = client.surface !== 'content';
      const g = globalThis as Partial<Window & typeof globalThis>;
      if (page && options.console !== false) {
        for (const level of Object.keys(LEVELS) as (keyof typeof LEVELS)[]) {
          const original = console[level];
          console[level] = (...args: unknown[]) => {
            client.addBreadcrumb({
              category: 'console',
              level: LEVELS[level],
              message: args.map(describe).join(' ').slice(0, 1024),
            });
            original.apply(console, args);
          };
        }
      }
      if (page && options.navigation !== false && g.document && g.addEventListener) {
        const navigated = () =>
          client.addBreadcrumb({
            category: 'navigation',
            message: `${location.pathname}${location.hash}`,
          });
        navigated();
        g.addEventListener('hashchange', navigated);
        g.addEventListener('popstate', navigated);
      }
      if (options.messages === false) return;
      const { runtime, tabs } = client.chrome as { runtime: Api; tabs?: Api };
      for (const [api, name] of [
        [runtime, 'runtime.sendMessage'],
        [tabs, 'tabs.sendMessage'],
      ] as const) {
        const send = api?.sendMessage;
        if (!api || typeof send !== 'function') continue;
        api.sendMessage = function (this: unknown, ...args: unknown[]) {
          client.addBreadcrumb({ category: 'message', message: name });
          return send.apply(this, args);
        };
      }
      // Added at init, before the extension's own listeners, so the breadcrumb of a message
      // comes before whatever its handling throws. The SDK's own relay messages are not recorded.
      // The sender is told by its URL: an extension page opened in a tab has a `tab` too.
      const { id } = client.chrome.runtime;
      const origin = client.chrome.runtime.getURL('');
      for (const name of ['onMessage', 'onMessageExternal']) {
        (runtime?.[name as 'onMessage'] as Received | undefined)?.addListener?.(
          (message, sender) => {
            if (isRelayMessage(message)) return;
            const from =
              sender?.id !== id
                ? 'external'
                : sender.url?.startsWith(origin)
                  ? 'extension'
                  : 'content';
            client.addBreadcrumb({
              category: 'message',
              message: `runtime.${name}`,
              data: { from },
            });
          },
        );
      }
    },
  };
}
