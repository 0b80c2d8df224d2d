import { setClient } from './api.ts';
import { workerClient } from './hub.ts';
import type { Client, Options } from './types.ts';

export * from './api.ts';
export { CHROME_EVENTS, chromeListenersIntegration } from './integrations/chrome-listeners.ts';
export { globalHandlersIntegration } from './integrations/global-handlers.ts';
export type * from './types.ts';
export { SDK_VERSION } from './version.ts';

/**
 * Starts the SDK in the service worker: call it first and synchronously at the top level,
 * before adding any `chrome.*` listener (MV3 delivers the waking event only to listeners added in
 * the first turn, and listeners added before `init()` are not wrapped). Pages and content scripts
 * use `@homeostat/extension-sdk/relay`; breadcrumbs are `@homeostat/extension-sdk/breadcrumbs`.
 * @example
 * import { init } from '@homeostat/extension-sdk';
 * init({ endpoint: 'https://ingest.example.com', key: 'hs_pub_…' });
 */
export function init(options: Options): Client {
  return setClient(workerClient(options));
}
