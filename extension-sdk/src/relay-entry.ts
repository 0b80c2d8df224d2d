import { setClient } from './api.ts';
import { pageClient } from './relay.ts';
import type { Client, Options } from './types.ts';

export * from './api.ts';
export { CHROME_EVENTS, chromeListenersIntegration } from './integrations/chrome-listeners.ts';
export { pageGlobalHandlersIntegration as globalHandlersIntegration } from './relay.ts';
export type * from './types.ts';

/**
 * `@homeostat/extension-sdk/relay`: the SDK for extension pages and content scripts without the
 * queue, scrubber and fingerprinting, which run in the service worker. Events are handed to it
 * by message, so the service worker must run `init()` from `@homeostat/extension-sdk`.
 * @example
 * import { init } from '@homeostat/extension-sdk/relay';
 * init();
 */
export function init(options: Options = {}): Client {
  return setClient(pageClient(options));
}
