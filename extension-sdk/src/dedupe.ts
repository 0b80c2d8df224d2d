import type { StorageArea } from './chrome.d.ts';

export const SEEN_KEY = 'homeostat:seen';
export const DAY_MS = 86_400_000;
/** Fingerprints remembered, so the record stays small whatever an extension throws. */
const MAX_ENTRIES = 500;

/** Per fingerprint: last sent, last seen (epoch ms), seen since last sent, seen in all. */
type Entry = [sent: number, seen: number, suppressed: number, total: number];

export interface Verdict {
  send: boolean;
  /** When the fingerprint was last sent before this occurrence (0: never). */
  sent: number;
  /** Occurrences not sent since the previous report of this fingerprint. */
  suppressed: number;
  total: number;
}

/**
 * Client-side dedupe (issue 4, architecture.md "Defaults": 7-day window, 30-day cleanup): a
 * fingerprint is sent once per window and only counted in between, so a crash loop in a service
 * worker that restarts every few seconds costs one request, not thousands. The count rides on
 * the next report of the fingerprint once the window has passed.
 */
export function createDedupe(area: StorageArea, windowMs: number) {
  let seen: Record<string, Entry> | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  function serial<T>(fn: (s: Record<string, Entry>) => T): Promise<T> {
    const run = chain.then(async () => {
      seen ??= ((await area.get(SEEN_KEY))[SEEN_KEY] as Record<string, Entry> | undefined) ?? {};
      const out = fn(seen);
      await area.set({ [SEEN_KEY]: seen });
      return out;
    });
    chain = run.catch(() => {});
    return run;
  }

  return {
    /** Records an occurrence of `fingerprint` and says whether to send it. */
    check: (fingerprint: string, force = false) =>
      serial((s): Verdict => {
        const now = Date.now();
        const [sent, , suppressed, total] = s[fingerprint] ?? [0, 0, 0, 0];
        if (!force && now - sent < windowMs) {
          s[fingerprint] = [sent, now, suppressed + 1, total + 1];
          return { send: false, sent, suppressed: suppressed + 1, total: total + 1 };
        }
        s[fingerprint] = [now, now, 0, total + 1];
        const keys = Object.keys(s);
        if (keys.length > MAX_ENTRIES) {
          // Forget the least recently seen; at worst one extra report of an old fingerprint.
          keys.sort((a, b) => (s[a]?.[1] ?? 0) - (s[b]?.[1] ?? 0));
          for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete s[k];
        }
        return { send: true, sent, suppressed, total: total + 1 };
      }),
    /** Undoes the "sent" of a verdict whose event could not be queued after all. */
    release: (fingerprint: string, verdict: Verdict) =>
      serial((s) => {
        const entry = s[fingerprint];
        if (entry) s[fingerprint] = [verdict.sent, entry[1], verdict.suppressed, entry[3]];
      }),
    /** The daily job: forget fingerprints not seen for `maxAgeMs` (default 30 days). */
    cleanup: (maxAgeMs = 30 * DAY_MS) =>
      serial((s) => {
        for (const [k, e] of Object.entries(s)) if (e[1] < Date.now() - maxAgeMs) delete s[k];
      }),
    entries: () => serial((s) => ({ ...s })),
  };
}

export type Dedupe = ReturnType<typeof createDedupe>;
