import type { ChromeEvent, MessageSender } from '../chrome.d.ts';
import { isRelayMessage } from '../relay.ts';
import type { Integration } from '../types.ts';

type Listener = (...args: never[]) => unknown;

/** Events whose listeners are wrapped when present; others can be passed to the factory. */
export const CHROME_EVENTS = [
  'runtime.onMessage',
  'runtime.onMessageExternal',
  'runtime.onConnect',
  'runtime.onInstalled',
  'runtime.onStartup',
  'alarms.onAlarm',
  'tabs.onUpdated',
  'tabs.onActivated',
  'tabs.onRemoved',
  'action.onClicked',
  'contextMenus.onClicked',
  'commands.onCommand',
  'storage.onChanged',
  'webNavigation.onCompleted',
];

/**
 * Wraps `addListener` of `chrome.*` events. A throw inside a `chrome.*` listener in the service
 * worker does not reach its global `error` handler (architecture.md field notes), so without this
 * the commonest background errors are never seen. The wrapper captures and rethrows, so Chrome
 * still logs it and a message sender still gets its error; `removeListener`/`hasListener` map the
 * caller's function to its wrapper. Only the extension's own `chrome` object is touched, which in
 * a content script lives in the isolated world, never on the page.
 *
 * It also hides the SDK's relay messages from the extension's own `onMessage` listeners (so call
 * `init()` before adding listeners) and leaves a breadcrumb per message received.
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
          ) as ChromeEvent<Listener> | undefined;
        if (typeof event?.addListener !== 'function') continue;
        const { addListener, removeListener, hasListener } = event;
        const wrappers = new WeakMap<Listener, Listener>();
        const messaging = path.includes('Message');
        const wrapperOf = (fn: Listener): Listener => {
          let wrapper = wrappers.get(fn);
          if (!wrapper) {
            const inner = client.wrap(fn, path);
            wrapper = function (this: unknown, ...args: unknown[]) {
              if (messaging) {
                if (isRelayMessage(args[0])) return undefined;
                const sender = args[1] as MessageSender | undefined;
                client.addBreadcrumb({
                  category: 'message',
                  message: path,
                  data: { from: sender?.tab ? 'content' : 'extension' },
                });
              }
              return inner.apply(this, args as never[]);
            };
            wrappers.set(fn, wrapper);
          }
          return wrapper;
        };
        event.addListener = function (fn, ...filters) {
          return addListener.call(this, wrapperOf(fn), ...filters);
        };
        event.removeListener = function (fn) {
          return removeListener.call(this, wrappers.get(fn) ?? fn);
        };
        event.hasListener = function (fn) {
          return hasListener.call(this, wrappers.get(fn) ?? fn);
        };
      }
    },
  };
}
