import type { Integration } from '../types.ts';

export interface BreadcrumbsOptions {
  /** `console.*` calls. Not in content scripts. Default true. */
  console?: boolean;
  /** Page loads and in-page navigation of extension pages. Default true. */
  navigation?: boolean;
  /** `runtime.sendMessage` and `tabs.sendMessage` calls. Default true. */
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

/**
 * Breadcrumbs: console output, navigation of extension pages and messages sent (messages
 * received are recorded by ChromeListeners). They are kept per context, bounded by
 * `maxBreadcrumbs`, cut to the wire limits, and scrubbed with the event in the service worker.
 * In a content script only messages are recorded: the console and the location belong to the
 * host page, whose globals the SDK never patches (Sentry's rule for embedded extension contexts,
 * research/aesthetics.md §5).
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
      if (options.messages !== false) {
        const { runtime, tabs } = client.chrome as { runtime: object; tabs?: object };
        for (const [api, name] of [
          [runtime, 'runtime.sendMessage'],
          [tabs, 'tabs.sendMessage'],
        ] as const) {
          const target = api as { sendMessage?: (...args: unknown[]) => unknown } | undefined;
          const send = target?.sendMessage;
          if (!target || typeof send !== 'function') continue;
          target.sendMessage = function (this: unknown, ...args: unknown[]) {
            client.addBreadcrumb({ category: 'message', message: name });
            return send.apply(this, args);
          };
        }
      }
    },
  };
}
