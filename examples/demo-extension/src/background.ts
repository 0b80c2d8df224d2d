import { init } from '@homeostat/extension-sdk';
import { breadcrumbsIntegration } from '@homeostat/extension-sdk/breadcrumbs';
import { type DemoMessage, INGEST_ENDPOINT, INGEST_KEY } from './config.ts';

// First, synchronously, at the top level: the SDK's own listeners must be added in the worker's
// first turn, and listeners added after it are wrapped so their throws are seen. Breadcrumbs
// (console, messages) are an optional integration, added to the defaults.
init({
  endpoint: INGEST_ENDPOINT,
  key: INGEST_KEY,
  batchDelayMs: 1_000,
  integrations: (defaults) => [...defaults, breadcrumbsIntegration()],
});

// A random id per worker start, so a test can tell that a restart really started a new worker.
const bootId = crypto.randomUUID();

interface Profile {
  id: string;
}
const profiles = new Map<string, Profile>();

/** Throws inside a `chrome.runtime.onMessage` listener, with the user's email in the message. */
function syncProfile(email: string): never {
  const profile = profiles.get(email);
  throw new TypeError(
    `Cannot sync the profile of ${email}: ${profile?.id ?? 'no profile'} on record`,
  );
}

/** A promise-style `chrome.*` call that rejects unhandled with a frameless Error. */
function openTab(tabId: number): void {
  void chrome.tabs.get(tabId);
}

/** A throw outside any listener: reaches the worker's global `error` handler. */
function importSettings(text: string): void {
  setTimeout(function applyImportedSettings() {
    JSON.parse(text);
  });
}

chrome.runtime.onMessage.addListener((raw, _sender, sendResponse) => {
  const message = raw as DemoMessage;
  switch (message.type) {
    case 'sync-profile':
      syncProfile(message.email);
      break;
    case 'open-tab':
      openTab(message.tabId);
      break;
    case 'import-settings':
      importSettings(message.text);
      break;
    case 'ping':
      sendResponse({ bootId });
      return;
  }
  sendResponse({ ok: true });
});
