import { setClient } from './api.ts';
import { createClient } from './client.ts';
import type { Client, Options } from './types.ts';

export * from './api.ts';
export { breadcrumbsIntegration } from './integrations/breadcrumbs.ts';
export { CHROME_EVENTS, chromeListenersIntegration } from './integrations/chrome-listeners.ts';
export { globalHandlersIntegration } from './integrations/global-handlers.ts';
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
  return setClient(createClient(options));
}
