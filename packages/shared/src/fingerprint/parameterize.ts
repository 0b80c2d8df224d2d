/**
 * Message parameterisation after Sentry (`src/sentry/grouping/parameterization.py`, summarised in
 * research/error-tracking.md §3.5): the same list, in the same order, with the same `<name>`
 * replacements, so that one bug reported with different ids, numbers or addresses is one group.
 *
 * Differences, each for a reason:
 * - Every pattern starts where a run of the characters it consumes starts (`\b`, or `(^|[^…])`:
 *   one character that cannot be in the run, captured and put back), so a failed attempt is never
 *   retried inside the same run. Sentry's unanchored patterns are quadratic on long runs (`aaaa…`
 *   for the email pattern); ours are linear. Lookbehind would say the same more plainly, but
 *   Safari before 16.4 rejects it when the script is parsed, which would break the whole SDK.
 * - `url` takes any `scheme://`, not only http(s)/ws(s)/ftp: a chrome-extension:// URL in a
 *   message carries the per-install extension id.
 * - `email` takes the local parts people use (`[\w.+%-]`), not RFC 5322's full set, so a quote
 *   or `=` before an address stays outside the match.
 * - `hostname` (Sentry's top-100 TLD list) is left out: extension messages name hosts inside URLs,
 *   which `url` covers, while the list would cost bundle size and mistake property chains such as
 *   `chrome.app.window` for hosts.
 * - `ip` takes IPv4 and IPv6 with a letter or `::` (so that `19:02:00` stays a time); `date` is the
 *   subset JS prints (below).
 * - Numbers are whole runs of digits not touching a letter or digit: `tab-1842`, `tab_1842`,
 *   `id:1842` are parameterised, `utf8`, `v2`, `sha256` and `int32` are not. The sign is kept.
 * - Ids inside words are parameterised too: hex runs of 6+ with a digit and a letter
 *   (`msg-3f2a1c9e` → `msg-<hex>`) and mixed-case alphanumeric runs of 16+ with a digit
 *   (nanoid, Firebase push ids) → `<id>`. Sentry leaves both, splitting groups.
 * - The scrubber's tokens (`[email]`, `[token]`, `[Filtered]`, `[user]`) contain no digit, `@` or
 *   scheme, so no pattern touches them and they group as the plain text they are.
 */
const RULES: [RegExp, string][] = [
  [/(^|[^\w.+%-])[\w.+%-]+@[a-z\d-]+(?:\.[a-z\d-]+)*/gi, '$1<email>'],
  [/(^|[^\w+.-])[a-z][\w+.-]*:\/\/\S*[^\s.,;:!?'")\]]/gi, '$1<url>'],
  [
    /\b(?:\d{1,3}\.){3}\d{1,3}\b|(^|[^\w:])(?=[\da-f:]*(?:[a-f]|::))(?:[\da-f]{0,4}:){2,7}[\da-f]{0,4}(?![\w:])/gi,
    '$1<ip>',
  ],
  [/\b[\da-f]{8}(?:-[\da-f]{4}){3}-[\da-f]{12}\b/gi, '<uuid>'],
  [/\b[\da-f]{40}\b/gi, '<sha1>'],
  [/\b[\da-f]{32}\b/gi, '<md5>'],
  // What JS prints: ISO 8601 (`toISOString`), `Tue Nov 21 2025` (`toString`, `toDateString`),
  // `Tue, 21 Nov 2025` (`toUTCString`), times with seconds, and `GMT+0100 (Central European
  // Standard Time)`, whose zone name is in the user's language. A short subset of Sentry's list.
  [
    /\b(?:\d{4}-\d\d-\d\d(?:T[\d:.+-]+Z?)?|(?:[A-Z][a-z]{2},? (?:\d\d? )?){1,2}\d{4}|\d\d?:\d\d:[\d.]+|GMT[+-]\d{4}(?: \([^)\n]{0,64}\))?)/g,
    '<date>',
  ],
  [/\b\d+(?:\.\d+)?m?s\b/g, '<duration>'],
  [/\b0x[\da-f]+\b|(^|[^a-z\d])(?=[a-f]*\d)(?=\d*[a-f])[\da-f]{6,}(?![a-z\d])/gi, '$1<hex>'],
  [/(^|[^\w-])(?=[\w-]*\d)(?=[\w-]*[a-z])(?=[\w-]*[A-Z])[\w-]{16,}/g, '$1<id>'],
  [/(^|[^a-z\d])\d+\.\d+(?![a-z\d])/gi, '$1<float>'],
  [/(^|[^a-z\d])\d+(?![a-z\d])/gi, '$1<int>'],
  [/=(?:'[^'\n]{0,256}'|"[^"\n]{0,256}")/g, '=<quoted_str>'],
  [/=(?:true|false)\b/g, '=<bool>'],
];

/**
 * The message as it is grouped: blank lines dropped and the rest trimmed, the first two lines
 * kept with `...` appended when more were dropped (Sentry's `trim_message_for_grouping`), then
 * the rules above applied in order.
 */
export function parameterizeMessage(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let text = lines.slice(0, 2).join('\n') + (lines.length > 2 ? '...' : '');
  for (const [pattern, name] of RULES) text = text.replace(pattern, name);
  return text;
}
