/**
 * Formatting for the console. Escaping itself is JSX's job (hono/jsx escapes every text child and
 * attribute value); these helpers only make attacker-influenced text *look* like what it is.
 */

/**
 * Bidirectional controls and zero-width characters can make rendered text read differently from
 * its bytes (CVE-2021-42574, "Trojan Source"): shown as visible code points instead.
 */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export function visible(text: string): string {
  return text.replace(
    INVISIBLE,
    (ch) => `<U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`,
  );
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function isoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19).concat('Z');
}

export function usd(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

/**
 * Only https links to hosts we chose are ever rendered as hrefs: a URL read from the database
 * (a PR's html_url) could in principle carry `javascript:`; it is shown as text otherwise.
 */
export function safeHref(url: string | null | undefined): string | null {
  if (url === null || url === undefined) return null;
  try {
    const u = new URL(url);
    const loopback =
      u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
    return u.protocol === 'https:' || (u.protocol === 'http:' && loopback) ? u.href : null;
  } catch {
    return null;
  }
}

/** The web (not API) URL of a repository path: github.com for api.github.com, else the host. */
export function githubWebUrl(apiBaseUrl: string, repo: string, path: string): string | null {
  let base: URL;
  try {
    base = new URL(apiBaseUrl);
  } catch {
    return null;
  }
  const host = base.hostname === 'api.github.com' ? 'https://github.com' : base.origin;
  return safeHref(`${host}/${repo}/${path}`);
}

/** `daily_events` JSON ({day, counts}) as 14 counts ending at `today` (epoch days). */
export function dailySeries(json: string | null, today: number, days = 14): number[] {
  const out = new Array<number>(days).fill(0);
  if (json === null) return out;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null) return out;
    const { day, counts } = parsed as { day?: unknown; counts?: unknown };
    if (typeof day !== 'number' || !Array.isArray(counts)) return out;
    counts.forEach((n, i) => {
      const d = day - (counts.length - 1 - i);
      const slot = days - 1 - (today - d);
      if (slot >= 0 && slot < days && typeof n === 'number' && Number.isFinite(n)) out[slot] = n;
    });
  } catch {
    return out;
  }
  return out;
}
