/**
 * A controlled clock: `sleep` records the wait and advances time instead of waiting, so backoff
 * and rate-limit waits are asserted exactly and tests stay fast.
 */
export interface TestClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  advance: (ms: number) => void;
  sleeps: number[];
}

export function createClock(start = Date.parse('2026-11-21T10:00:00.000Z')): TestClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
    sleeps,
  };
}
