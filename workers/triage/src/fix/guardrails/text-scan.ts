import { scrubText } from '@homeostat/shared';

/**
 * Text-level findings the guardrails compare between a file's before and after: invisible and
 * direction-changing characters (Trojan Source, CVE-2021-42574; the "Rules File Backdoor" and
 * GlassWorm's invisible payloads; research ai-autofix.md §8 T1, T9), control characters (binary
 * content), URLs and domain names (T3: exfiltration to an attacker's host), and what the PII
 * scrubber would redact. Every pattern is linear in the input: the candidate is attacker-shaped.
 */

export type HiddenClass =
  | 'bidi_control'
  | 'zero_width'
  | 'tag_character'
  | 'variation_selector'
  | 'invisible_filler'
  | 'format_character'
  | 'unusual_space'
  | 'private_use';

/** U+202A–U+202E, U+2066–U+2069 and the marks LRM, RLM, ALM (Trojan Source). */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is matched on its own, joiners included
const ZERO_WIDTH = /[\u200b-\u200d\u2060-\u2064\ufeff\u180e\u00ad\u034f]/u;
const TAGS = /[\u{e0000}-\u{e007f}]/u;
const VARIATION = /[\ufe00-\ufe0f\u{e0100}-\u{e01ef}\u180b-\u180f]/u;
/** Characters that render as nothing yet are valid in identifiers (Hangul fillers, braille blank). */
const FILLERS = /[\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5]/u;
const FORMAT = /\p{Cf}/u;
const SPACES = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const PRIVATE_USE = /\p{Co}/u;
const ANY_HIDDEN =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is matched on its own, joiners included
  /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060-\u2064\ufeff\u180b-\u180f\u00ad\u034f\u{e0000}-\u{e007f}\ufe00-\ufe0f\u{e0100}-\u{e01ef}\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\p{Cf}\p{Co}]/gu;

export function hiddenClass(ch: string): HiddenClass {
  if (BIDI.test(ch)) return 'bidi_control';
  if (ZERO_WIDTH.test(ch)) return 'zero_width';
  if (TAGS.test(ch)) return 'tag_character';
  if (VARIATION.test(ch)) return 'variation_selector';
  if (FILLERS.test(ch)) return 'invisible_filler';
  if (SPACES.test(ch)) return 'unusual_space';
  if (FORMAT.test(ch)) return 'format_character';
  if (PRIVATE_USE.test(ch)) return 'private_use';
  return 'format_character';
}

export interface Occurrence {
  /** What is compared between before and after (a character, a URL, a redacted piece). */
  token: string;
  index: number;
}

/** Hidden characters in `text`, one occurrence per character. A leading BOM is the file's. */
export function hiddenCharacters(text: string): Occurrence[] {
  const out: Occurrence[] = [];
  for (const m of text.matchAll(ANY_HIDDEN)) {
    if (m.index === 0 && m[0] === '\ufeff') continue;
    out.push({ token: m[0], index: m.index });
  }
  return out;
}

export function codePointLabel(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Control characters other than tab, newline, carriage return and form feed, DEL, and U+FFFD
 * (what a decoder leaves of bytes that were not text): binary content.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\ufffd]/g;

export function controlCharacters(text: string): Occurrence[] {
  return [...text.matchAll(CONTROL)].map((m) => ({ token: m[0], index: m.index }));
}

// --- URLs and domain names -------------------------------------------------------------------

export type UrlKind =
  | 'scheme_url'
  | 'pseudo_url'
  | 'protocol_relative_url'
  | 'domain'
  | 'localhost';

/**
 * Top-level domains that are never a JavaScript property or file extension in practice: a
 * dotted name ending in one of them is a host wherever it appears. Chosen from the most used and
 * the most abused TLDs (Spamhaus, Interisle phishing reports); `.md`, `.sh`, `.py`, `.rs`, `.zip`
 * and `.mov` are left out because they name files more often than hosts.
 */
const TLDS = new Set(
  (
    'com net org edu gov mil io ai co ly gg tv cc biz xyz club pro mobi asia onion icu buzz cyou ' +
    'sbs cfd lol bond shop cloud tech website ink vip win bid loan men party science racing ' +
    'accountant cricket faith trade uk jp cn kr tw hk sg ua kz ir za mx cl dk cz gr ie il nz ph ' +
    'my su tk ml ga cf gq pw cx nu la vc sc sx us eu ch au br'
  ).split(' '),
);

/**
 * TLDs that are also common property names, locale codes or method names (`rect.top`,
 * `logger.info`, `navigator.onLine`, `chrome.runtime.id`, `messages.de`): a dotted name ending in
 * one counts as a host only where it is shaped like one (followed by a path or port, `www.`, or a
 * whole quoted string that does not start at a JavaScript global).
 */
const AMBIGUOUS_TLDS = new Set(
  (
    'app dev site online info top name link live store date download stream space fun run new ' +
    'one work review me to in it at is id do no am fm be by ws gl de fr es nl pl pt ru sv fi tr ' +
    'hu ro bg sk se et vi th ar ca'
  ).split(' '),
);

const JS_ROOTS = new Set([
  'chrome',
  'browser',
  'window',
  'document',
  'self',
  'globalthis',
  'navigator',
  'location',
  'this',
  'console',
  'process',
  'module',
]);

const SCHEME_URL = /\b[a-z][a-z\d+.-]{1,30}:\/\/[^\s"'`<>\\]{0,2048}/gi;
const PSEUDO_URL =
  /(?<![\w$.-])(?:javascript|vbscript|mailto|file|jar|livescript):|(?<![\w$.-])data:(?:[a-z]{1,30}\/[\w.+-]{1,100}|[,;])/gi;
const PROTOCOL_RELATIVE = /(?:^|[\s"'`(=,])(\/\/[a-z\d-]{1,63}(?:\.[a-z\d-]{1,63})+)/gi;
const DOTTED_RUN = /[a-z\d][a-z\d.-]*/gi;
const LOCALHOST = /\blocalhost(?::\d|\/)/gi;

/**
 * The browser's own pages and extension origins: no host on the network is behind them, and
 * checks such as `tab.url.startsWith('chrome://')` are how extensions avoid "Cannot access a
 * chrome:// URL". A call that reaches them still counts as a network call (`dangerous_code`).
 */
const BROWSER_SCHEMES = new Set([
  'chrome',
  'chrome-extension',
  'chrome-search',
  'chrome-untrusted',
  'devtools',
  'edge',
  'brave',
  'opera',
  'vivaldi',
  'moz-extension',
  'safari-web-extension',
]);

/**
 * URLs and domain names in one piece of text. `whole` says the text is a complete string value,
 * so an ambiguous name that fills it (`'evil.top'`) is a host.
 */
export function urls(text: string, whole: boolean): (Occurrence & { kind: UrlKind })[] {
  const out: (Occurrence & { kind: UrlKind })[] = [];
  for (const m of text.matchAll(SCHEME_URL)) {
    const scheme = m[0].slice(0, m[0].indexOf(':')).toLowerCase();
    if (BROWSER_SCHEMES.has(scheme)) continue;
    out.push({ token: m[0].toLowerCase(), index: m.index, kind: 'scheme_url' });
  }
  for (const m of text.matchAll(PSEUDO_URL)) {
    out.push({ token: m[0].toLowerCase(), index: m.index, kind: 'pseudo_url' });
  }
  for (const m of text.matchAll(PROTOCOL_RELATIVE)) {
    const host = m[1] ?? '';
    out.push({
      token: host.toLowerCase(),
      index: m.index + m[0].length - host.length,
      kind: 'protocol_relative_url',
    });
  }
  for (const m of text.matchAll(LOCALHOST)) {
    out.push({ token: 'localhost', index: m.index, kind: 'localhost' });
  }
  for (const m of text.matchAll(DOTTED_RUN)) {
    const before = m.index > 0 ? text.charAt(m.index - 1) : '';
    // After '/' it is a path segment or already part of a URL found above; after '@' the PII
    // check sees an e-mail address.
    if (before === '/' || before === '@' || before === '\\') continue;
    const run = m[0].replace(/[.-]+$/, '');
    const labels = run.split('.');
    if (labels.length < 2 || labels.some((l) => l === '' || l.length > 63)) continue;
    const tld = (labels.at(-1) ?? '').toLowerCase();
    if (!/^[a-z]{2,24}$/.test(tld)) continue;
    let host = TLDS.has(tld);
    if (!host && AMBIGUOUS_TLDS.has(tld)) {
      const after = text.slice(m.index + run.length, m.index + run.length + 2);
      const quoted =
        (before === '"' || before === "'" || before === '`') && after.charAt(0) === before;
      host =
        after.charAt(0) === '/' ||
        /^:\d/.test(after) ||
        labels[0]?.toLowerCase() === 'www' ||
        ((quoted || (whole && text.trim() === run)) &&
          !JS_ROOTS.has(labels[0]?.toLowerCase() ?? ''));
    }
    if (host) out.push({ token: run.toLowerCase(), index: m.index, kind: 'domain' });
  }
  return out;
}

// --- PII ---------------------------------------------------------------------------------------

/**
 * What `scrubText` would redact in `text`, named by its own tokens (`[email]`, `[creditcard]`,
 * `[Filtered]`…), or null when it would change nothing.
 */
export function piiLabels(text: string): string[] | null {
  const scrubbed = scrubText(text);
  if (scrubbed === text) return null;
  const had = new Set(text.match(/\[[\w-]{2,20}\]/g) ?? []);
  const labels = [...new Set(scrubbed.match(/\[[\w-]{2,20}\]/g) ?? [])].filter((l) => !had.has(l));
  return labels.length > 0 ? labels : ['[redacted]'];
}
