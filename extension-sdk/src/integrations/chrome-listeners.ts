import { isRelayMessage } from '../relay.ts';
import type { Integration } from '../types.ts';

type Listener = (...args: unknown[]) => unknown;
type Method = 'addListener' | 'removeListener' | 'hasListener';

/** Events whose listeners are wrapped when present; others can be passed to the factory. */
export const CHROME_EVENTS: string[] = (
  'runtime.onMessage runtime.onMessageExternal runtime.onConnect runtime.onInstalled ' +
  'runtime.onStartup alarms.onAlarm tabs.onUpdated tabs.onActivated tabs.onRemoved ' +
  'action.onClicked contextMenus.onClicked commands.onCommand storage.onChanged ' +
  'webNavigation.onCompleted'
).split(' ');

/**
 * Wraps `addListener` of `chrome.*` events. A throw inside a `chrome.*` listener in the service
 * worker does not reach its global `error` handler (docs/architecture.md#chrome-field-notes), so
 * without this the commonest background errors are never seen. The wrapper captures and rethrows,
 * so Chrome still logs it and a message sender still gets its error; `removeListener`/`hasListener`
 * map the caller's function to its wrapper. Only the extension's own `chrome` object is touched,
 * which in a content script lives in the isolated world, never on the page.
 *
 * It also hides the SDK's relay messages from the extension's own listeners, so call `init()`
 * before adding listeners.
 */
export function chromeListenersIntegration(events: string[] = CHROME_EVENTS): Integration {
  return {
    name: 'ChromeListeners',
    setup(client) {
      for (const path of events) {
        const event = path
          .split('.')
          .reduce<unknown>(
            (o, k) => (o as Record<string, unknown> | undefined)?.[k],
            client.chrome,
          ) as
          | Record<Method, (this: unknown, fn: Listener, ...rest: unknown[]) => unknown>
          | undefined;
        if (typeof event?.addListener !== 'function') continue;
        const wrappers = new WeakMap<Listener, Listener>();
        for (const method of ['addListener', 'removeListener', 'hasListener'] as const) {
          const original = event[method];
          event[method] = function (fn, ...rest) {
            let wrapper = wrappers.get(fn);
            if (!wrapper && method === 'addListener') {
              const inner = client.wrap(fn, path);
              wrapper = function (this: unknown, ...args: unknown[]) {
                return isRelayMessage(args[0]) ? undefined : inner.apply(this, args);
              };
              wrappers.set(fn, wrapper);
            }
            return original.call(this, wrapper ?? fn, ...rest);
          };
        }
      }
    },
  };
}
