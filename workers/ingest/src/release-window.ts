/**
 * Release health is counted per 5-minute window (issue 3, research/canary.md) by the time the
 * server received the data, not the client's clock: clocks on user machines are wrong, and events
 * an SDK retries late must not land in windows the canary judge has already read.
 */
export const WINDOW_MS = 5 * 60_000;

export function windowStart(receivedAt: number): number {
  return Math.floor(receivedAt / WINDOW_MS) * WINDOW_MS;
}
