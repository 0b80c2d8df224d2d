import type { ChromeApi, Surface } from './types.ts';

/**
 * Which part of the extension this is. A service worker is its own global type. An extension page
 * is told apart by comparing its path with the manifest's popup, options, side panel and devtools
 * pages. A document with `chrome.runtime` on any other origin is a content script. Offscreen
 * documents are created at run time, so the manifest cannot name them: pass `surface`.
 */
export function detectSurface(g: object, chrome: ChromeApi): Surface {
  const {
    ServiceWorkerGlobalScope: scope,
    location,
    document,
  } = g as {
    ServiceWorkerGlobalScope?: abstract new () => object;
    location?: Location;
    document?: unknown;
  };
  if (scope && g instanceof scope) return 'background';
  if (!document || !location) return 'unknown';
  if (location.origin !== new URL(chrome.runtime.getURL('')).origin) return 'content';
  // The SDK is for Manifest V3 extensions.
  const m = chrome.runtime.getManifest() as chrome.runtime.ManifestV3;
  const pages: [string | undefined, Surface][] = [
    [m.action?.default_popup, 'popup'],
    [m.options_ui?.page ?? m.options_page, 'options'],
    [m.side_panel?.default_path, 'sidepanel'],
    [m.devtools_page, 'devtools'],
  ];
  const path = location.pathname.replace(/^\//, '');
  return pages.find(([page]) => page?.replace(/^\//, '') === path)?.[1] ?? 'page';
}
