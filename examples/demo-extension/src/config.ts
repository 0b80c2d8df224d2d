/** The demo extension's public ingest key (homeostat.config.json); public by design. */
export const INGEST_KEY = 'hs_pub_demo_local_key_0001';

/** `npm start`'s ingest Worker unless the build was given another (build.ts --endpoint). */
export const INGEST_ENDPOINT = __HOMEOSTAT_ENDPOINT__;

/** What the popup asks the service worker to do; each path fails in its own way. */
export type DemoMessage =
  | { type: 'sync-profile'; email: string }
  | { type: 'open-tab'; tabId: number }
  | { type: 'import-settings'; text: string }
  | { type: 'ping' };
