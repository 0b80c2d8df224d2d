import type { ChromeApi } from '../../../extension-sdk/src/chrome.d.ts';

/**
 * The `chrome.*` the demo itself calls, on top of the SDK's hand-written types
 * (`@types/chrome` is not installed in this repository).
 */
declare global {
  const chrome: ChromeApi & {
    tabs: { get(tabId: number): Promise<unknown> };
  };
  /** Replaced at build time with the ingest URL (build.ts). */
  const __HOMEOSTAT_ENDPOINT__: string;
}
