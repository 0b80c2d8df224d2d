import type { ChromeApi } from './chrome.d.ts';
import type { IngestEvent } from './types.ts';

/** The marker of the SDK's own messages; the service worker's `onMessage` wrapper hides them. */
const RELAY = '__homeostat';

export interface RelayMessage {
  [RELAY]: 1;
  event: IngestEvent;
}

export const isRelayMessage = (message: unknown): message is RelayMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as Record<string, unknown>)[RELAY] === 1;

/**
 * Pages and content scripts hand their events to the service worker. A content script cannot
 * post to ingest itself (MV3 subjects its fetches to the host page's CORS), and a popup may close
 * before a request finishes; a message wakes a stopped worker and is delivered whole. One retry
 * covers a worker that was starting up; then the event is counted as lost.
 */
export function createRelay(
  chrome: ChromeApi,
  sendMessage = chrome.runtime.sendMessage.bind(chrome.runtime),
) {
  const dropped: Record<string, number> = {};
  return {
    dropped,
    async send(event: IngestEvent): Promise<void> {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          if ((await sendMessage({ [RELAY]: 1, event })) === true) return;
        } catch {
          // "Could not establish connection. Receiving end does not exist." (no worker SDK yet)
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
      dropped.relay = (dropped.relay ?? 0) + 1;
    },
  };
}
