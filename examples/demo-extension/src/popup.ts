import { breadcrumbsIntegration } from '@homeostat/extension-sdk/breadcrumbs';
import { init, report } from '@homeostat/extension-sdk/relay';
import { unreadBadge } from './badge.ts';
import type { DemoMessage } from './config.ts';
import { accentColour, type Settings } from './theme.ts';

init({ integrations: (defaults) => [...defaults, breadcrumbsIntegration()] });

interface Quota {
  used: number;
  limit: number;
}

/** Throws in a click handler: reaches the popup's `window` error handler. */
function renderQuota(quota: Quota | undefined): void {
  const element = document.querySelector('#quota');
  if (element) element.textContent = `${quota?.used.toFixed(0)} of ${(quota as Quota).limit}`;
}

// A throw in the worker's listener comes back here as a plain Error with only its message
// (docs/architecture.md#chrome-field-notes); the worker has already reported it with its stack.
const send = (message: DemoMessage) => chrome.runtime.sendMessage(message).catch(() => {});

const on = (id: string, handler: () => void) =>
  document.querySelector(`#${id}`)?.addEventListener('click', handler);

on('throw-popup', () => renderQuota(undefined));
on('throw-background', () => void send({ type: 'sync-profile', email: 'jane.doe@example.com' }));
on('open-tab', () => void send({ type: 'open-tab', tabId: 987_654_321 }));
on('import-settings', () => void send({ type: 'import-settings', text: '{"theme": dark}' }));
on('report', () => report('The popup shows nothing after I click save'));
// The two bugs the local fix loop repairs (README, "The local fix loop").
on('paint-accent', async () => {
  const { settings } = await chrome.storage.local.get('settings');
  document.body.style.borderTopColor = accentColour((settings ?? {}) as Settings);
});
on('show-badge', () => {
  const element = document.querySelector('#quota');
  if (element) element.textContent = unreadBadge([]);
});
