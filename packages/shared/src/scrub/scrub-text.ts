/**
 * Free-text PII scrubbing: one pass per rule, most specific first, so a secret is named by the
 * rule that knows its shape (`[jwt]`) before a generic one (`key=[Filtered]`) sees it.
 *
 * Every pattern is safe against 32 KiB of hostile text in a backtracking engine (V8, JSC,
 * SpiderMonkey): a variable-length run may only start where the previous character cannot belong
 * to it (a captured `(^|[^…])` instead of lookbehind, which Safari lacked before 16.4), and every
 * other repetition is bounded, so the work per start is constant or ends at a character the run
 * cannot contain. Validation the regex cannot express (Luhn, mod 97, IPv6 group counts) runs in
 * the replacer on the short match.
 */

/**
 * Key names whose values are secrets: Sentry's default sensitive fields (docs.sentry.io
 * server-side-scrubbing; Relay convert.rs `@password`), GlitchTip's cookie/csrf/card names, as
 * case-insensitive substrings. `ssn` must stand alone (`className` is not one) and `authuser` is
 * Google's account index, not a credential.
 */
export const SENSITIVE_KEY =
  /passw(?:or)?d|pwd|secret|token|auth(?!user)|cookie|sess(?:ion|id)|csrf|xsrf|api[-_]?key|private[-_]?key|credential|credit[-_]?card|card[-_]?number|jwt|(?:^|[-_])ssn(?:$|[-_])/i;

/** Extra names that are secrets only as URL parameters (`?code=` is OAuth's, `code: 404` is not). */
const QUERY_KEY = /^(?:key|code|pass|sid|sig|otp)$|signature|e-?mail|phone/i;

export const FILTERED = '[Filtered]';

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = Number(digits[digits.length - 1 - i]);
    if (i % 2) n = n > 4 ? n * 2 - 9 : n * 2;
    sum += n;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters count as 10–35, remainder 1. */
function ibanChecksumOk(iban: string): boolean {
  let r = 0;
  for (const c of iban.slice(4) + iban.slice(0, 4)) {
    r = (r * (c > '9' ? 100 : 10) + Number.parseInt(c, 36)) % 97;
  }
  return r === 1;
}

/** RFC 4291 text form: eight groups, or fewer with exactly one `::`; a v4 tail is two groups. */
function isIPv6(candidate: string): boolean {
  const halves = candidate.replace(/[\d.]+\.\d+$/, '0:0').split('::');
  const groups = halves.filter(Boolean).join(':').split(':');
  return (
    halves.length < 3 &&
    !groups.includes('') &&
    (halves.length > 1 ? groups.length < 8 : groups.length === 8)
  );
}

/**
 * `key=value`, `key: value`, `"key":"value"`, `?key=value`: the key must contain a sensitive word
 * (checked exactly in `assignment`); the separator may carry quotes, also JSON-escaped ones, and an
 * auth scheme is kept. A quoted value runs to its closing quote, spaces included; an unquoted one
 * stops where URL parameters, JSON and log fields end, and JS literals or a token an earlier rule
 * left are no secret. Keys are at most 30+word+30 characters so the scan per key is bounded, and
 * Firefox's `unexpected token: …` is prose, matched only to be left alone.
 */
const ASSIGNMENT =
  /(^|;\s*|[^\w/-])((?:unexpected |const |let |var )?[\w-]{0,30}(?:pass|pwd|secret|token|auth|cookie|sess|csrf|xsrf|key|ssn|jwt|credential|card|sid|sig|code|mail|phone|otp)[\w-]{0,30})\\?["']?\s*[:=]\s*(?:\\?["'](?:(?:bearer|basic|token)\s+)?(?![[{]|(?:true|false|null|undefined|bearer|basic|token)\b)([^"'\\\n]+)|(?:(?:bearer|basic|token)\s+)?(?![[{]|(?:true|false|null|undefined|bearer|basic|token)\b)([^\s"'\\,;&)}<>]+))/gi;

function assignment(
  match: string,
  pre: string,
  key: string,
  quoted: string | undefined,
  bare: string | undefined,
): string {
  const value = quoted ?? bare ?? '';
  return /^unexpected|(?:error|exception)$/i.test(key) ||
    (bare && /^(?:const|let|var) /.test(key)) ||
    !(SENSITIVE_KEY.test(key) || (/[?&#;]/.test(pre) && QUERY_KEY.test(key)))
    ? match
    : match.slice(0, -value.length) + FILTERED;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1?\\d\\d?)';
/**
 * Dotted quads are IPs (Relay regexes.rs `@ip`) unless labelled as versions: after `version`/`ver`
 * or a product token such as `Chrome/120.0.0.0` (the reduced user agent). `v1.2.3.4` never
 * matches, a fifth part (`1.2.3.4.5`) neither. A bare `1.2.3.4` stays ambiguous and is scrubbed:
 * the extension's own version travels in the envelope, so the message loses nothing needed.
 */
const IPV4 = new RegExp(
  `((?:^|[^a-z])ver(?:sion)?[\\s:="']{0,4}|[a-z]/|^|[^\\w.])(${OCTET}(?:\\.${OCTET}){3})(?!\\.?\\w)`,
  'gi',
);

export function scrubText(text: string): string {
  return (
    text
      // PEM private key, whole block, also cut off before its END line (Relay `@pemkey` keeps
      // the armour; the key type is not worth a leak). `-(?!----)` lets `DEK-Info:` through.
      .replace(
        /-----BEGIN[A-Z ]*PRIVATE KEY[A-Z ]*-----(?:[^-]|-(?!----))*(?:-----END[A-Z ]*PRIVATE KEY[A-Z ]*-----)?/g,
        '[private-key]',
      )
      // URL userinfo, user name too: tokens are often sent as the user (`https://ghp_…@github.com`).
      .replace(/(:\/\/)[\w.~%!$&*+,;=:-]+@/g, '$1[Filtered]@')
      // Webhook URLs are bearer credentials in their path.
      .replace(
        /(hooks\.slack\.com\/\w+\/|discord(?:app)?\.com\/api\/webhooks\/)[\w/-]+/g,
        '$1[token]',
      )
      .replace(/(^|[^\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '$1[jwt]')
      // Provider key formats (gitleaks/GitHub secret-scanning prefixes): GitHub, OpenAI and
      // Anthropic (`sk-`), Google API key and OAuth access/refresh tokens, AWS key ids, Stripe,
      // Slack, Twilio SIDs, SendGrid, npm, GitLab, Hugging Face, Telegram bots.
      .replace(
        /(^|[^\w-]|\/bot)(?:gh[pousr]_\w{30,}|github_pat_\w{30,}|sk-[\w-]{20,}|AIza[\w-]{30,}|ya29\.[\w.-]{20,}|1\/\/0[\w-]{20,}|A[KS]IA[A-Z\d]{16}\b|[spr]k_(?:live|test)_\w{10,}|x(?:ox[abposr]|app)-[\w-]{10,}|(?:AC|SK)[a-f\d]{32}\b|SG\.[\w-]{16,}\.[\w-]{16,}|npm_\w{30,}|glpat-[\w-]{20,}|hf_\w{30,}|\d{8,10}:AA[\w-]{30,})/g,
        '$1[token]',
      )
      // Relay `@bearer`, but a short plain word after the scheme is prose ("Bearer token missing").
      .replace(/\b(bearer|basic)(\s+)(?![a-z]{1,15}\b)[\w.~+/-]+=*/gi, '$1$2[token]')
      .replace(ASSIGNMENT, assignment)
      // Relay `@email`, with `%40` for encoded URLs; `icon@2x.png` is a file.
      .replace(
        /(^|[^\w.+%-])[\w.+%-]+(?:@|%40)(?!\dx\.)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}\b/gi,
        '$1[email]',
      )
      // Relay `@userpath`, but only at the start of a path (`/home/` after a host is a web route);
      // a Windows profile name may hold spaces.
      .replace(
        /((?:^|[^\w./-]|\/\/|\/mnt\/[a-z]|[a-z]:)[\\/]+(?:users|home|documents and settings)[\\/]+)([^\\/\s"'<>:|*?(),;]+(?: [^\\/\s"'<>:|*?(),;]+)*(?=\\)|[^\\/\s"'<>:|*?(),;]+)/gi,
        '$1[user]',
      )
      .replace(/\b[A-Z]{2}\d{2}(?: ?[A-Z\d]{4}){2,7}(?: ?[A-Z\d]{1,3})?\b/g, (m) => {
        const iban = m.replace(/ /g, '');
        return iban.length > 14 && ibanChecksumOk(iban) ? '[iban]' : m;
      })
      // Cards: 13–19 digits as typed (4-4-4-x, Amex 4-6-5), issuer digit 2–6, Luhn. A 15-digit
      // Luhn number that is not Amex is an IMEI (Relay `@imei`), as is the dashed 2-6-6-1 form.
      .replace(
        /(^|[^\w.])(\d{2}-\d{6}-\d{6}-\d|[2-6]\d{3}[ -]?(?:\d{6}[ -]?\d{4,5}|\d{4}[ -]?\d{4}[ -]?\d{1,7})|\d{15})(?![.-]?\w)/g,
        (m, pre: string, candidate: string) => {
          const d = candidate.replace(/\D/g, '');
          if (!Number(d) || !luhn(d)) return m;
          return pre + (d.length === 15 && !/^3[47]/.test(d) ? '[imei]' : '[creditcard]');
        },
      )
      // US SSN without the never-issued areas 000, 666, 9xx, group 00 and serial 0000.
      .replace(/(^|[^\w-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g, '$1[ssn]')
      .replace(/\b[\da-f]{2}([:-])(?:[\da-f]{2}\1){4}[\da-f]{2}(?![:-]?\w)/gi, '[mac]')
      .replace(
        /(^|[^\w:.])((?:[\da-f]{0,4}:){1,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[\da-f]{1,4}|:))(%[\w.]+)?(?!\w|\.\d)/gi,
        (m, pre: string, address: string) => (isIPv6(address) ? `${pre}[ip]` : m),
      )
      .replace(IPV4, (m, pre: string) => (/ver|[a-z]\//i.test(pre) ? m : `${pre}[ip]`))
  );
}
