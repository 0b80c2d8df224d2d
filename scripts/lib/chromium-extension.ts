import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium` in .ci/run); a browser is never downloaded. */
export const CHROMIUM = process.env.HOMEOSTAT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A Chromium profile with one unpacked extension loaded: the SDK's end-to-end tests, the Sentry
 * one, the fix loop and `npm run demo` all start the browser this way. Resolves once the
 * extension's service worker runs, with the id Chromium gave the extension.
 */
export async function launchWithExtension(
  profileDir: string,
  extensionDir: string,
  options: { headed?: boolean; extraArgs?: string[] } = {},
): Promise<{ context: BrowserContext; extensionId: string }> {
  const headed = options.headed === true;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: !headed,
    args: [
      // MV3 service workers need the new headless mode.
      ...(headed ? [] : ['--headless=new']),
      '--no-sandbox',
      '--disable-gpu',
      ...(options.extraArgs ?? []),
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
    ],
  });
  const worker =
    context.serviceWorkers()[0] ??
    (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  return { context, extensionId: new URL(worker.url()).host };
}
