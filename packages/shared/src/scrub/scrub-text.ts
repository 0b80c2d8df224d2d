/**
 * Free-text PII scrubbing: one pass per rule, most specific first, so a secret is named by the
 * rule that knows its shape (`[jwt]`) before a generic one (`key=[Filtered]`) sees it. Rules leave
 * each other's tokens alone, and the chain repeats until the text is stable (see `scrubText`).
 *
 * Every pattern stays linear on 32 KiB of hostile text in a backtracking engine (V8, JSC,
 * SpiderMonkey): a variable-length run may only start where the previous character cannot belong
 * to it (a captured `(^|[^…])` rather than lookbehind, which Safari lacked before 16.4), and other
 * repetitions are bounded, so the work per start is constant or ends at a character the run cannot
 * hold. Checks a regex cannot express (Luhn, mod 97, IPv6 group count) run on the short match.
 */

/**
 * Key names whose values are secrets, as case-insensitive substrings: Sentry's defaults
 * (docs.sentry.io server-side-scrubbing; Relay convert.rs `@password`) plus GlitchTip's cookie,
 * session, csrf and card names. `ssn` must stand alone (`className` is no SSN) and Google's
 * `authuser` is an account index, not a credential.
 */
export const SENSITIVE_KEY =
  /passw(?:or)?d|pwd|secret|token|auth(?!user)|cookie|sess(?:ion|id)|csrf|xsrf|api[-_]?key|private[-_]?key|credential|credit[-_]?card|card[-_]?number|jwt|(?:^|[-_])ssn(?:$|[-_])/i;

/** Names that are secrets only as URL parameters: `?code=` is OAuth's, `code: 404` is not. */
const QUERY_KEY = /^(?:key|code|pass|sid|sig|otp)$|signature|e-?mail|phone/i;

export const FILTERED = '[Filtered]';

/**
 * `key=value`, `key: value`, `"key":"value"` (also JSON-escaped), `?key=value`, `; sid=…` in a
 * Cookie header. The key must contain a sensitive word (decided in `assignment`) and is at most
 * 30+word+30 characters, which bounds the scan; an auth scheme after the separator is kept. A
 * quoted value runs to its closing quote, spaces included; a bare one stops where URL parameters,
 * JSON and log fields end. JS literals and the scheme words are no secret, and `[`/`{` opens a
 * structure or is a token an earlier rule wrote.
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
  return (
    // Prose and code, not data: Firefox's `unexpected token: ':'`, `TokenExpiredError: jwt
    // expired`, and a declaration whose right-hand side is an expression (`const token = await…`).
    /^unexpected|(?:error|exception)$/i.test(key) ||
      (bare && /^(?:const|let|var) /.test(key)) ||
      !(SENSITIVE_KEY.test(key) || (/[?&#;]/.test(pre) && QUERY_KEY.test(key)))
      ? match
      : match.slice(0, -(quoted ?? bare ?? '').length) + FILTERED
  );
}

/**
 * Dotted quads are IPs (Relay regexes.rs `@ip`) unless labelled as versions: after `version` or
 * `ver`, or in a product token such as `Chrome/120.0.0.0` (the reduced user agent); octets over
 * 255 are checked in the replacer. `v1.2.3.4` and `1.2.3.4.5` never match. A bare `1.2.3.4` is
 * ambiguous and counts as an IP: a leaked address is worse than a lost version, and the
 * extension's version travels in the envelope anyway.
 */
const IPV4 =
  /((?:^|[^a-z])ver(?:sion)?[\s:="']{0,4}|[a-z]\/|^|[^\w.])(\d{1,3}(?:\.\d{1,3}){3})(?!\.?\w)/gi;

function scrubOnce(text: string): string {
  return (
    text
      // PEM private key, whole block, also when cut off before its END line (Relay `@pemkey`
      // keeps the armour; naming the key type is not worth it). `-(?!----)` lets `DEK-Info:` in.
      .replace(
        /-----BEGIN [A-Z ]{0,30}PRIVATE KEY[A-Z ]{0,9}-----(?:[^-]|-(?!----))*(?:-----END[A-Z ]{0,50}-----)?/g,
        '[private-key]',
      )
      // URL userinfo, the user name too: tokens are often sent as it (`https://ghp_…@github.com`).
      .replace(/(:\/\/)[\w.~%!$&*+,;=:-]+@/g, '$1[Filtered]@')
      // Slack webhook URLs carry their credential in the path.
      .replace(/(hooks\.slack\.com\/\w+\/)[\w/-]+/g, '$1[token]')
      .replace(/(^|[^\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '$1[jwt]')
      // Provider formats, as GitHub secret scanning and gitleaks know them: GitHub, OpenAI and
      // Anthropic (`sk-`), Google API keys and OAuth access/refresh tokens, AWS key ids, Stripe,
      // Slack, Twilio SIDs, SendGrid, npm, GitLab, Hugging Face.
      .replace(
        /(^|[^\w-])(?:(?:gh[pousr]_|github_pat_|sk-|AIza|ya29\.|1\/\/0|[spr]k_(?:live|test)_|x(?:ox[abposr]|app)-|glpat-)[\w-]{20,}|(?:npm|hf)_[a-zA-Z\d]{30,}|A[KS]IA[A-Z\d]{16}\b|(?:AC|SK)[a-f\d]{32}\b|SG\.[\w-]{16,}\.[\w-]{16,})/g,
        '$1[token]',
      )
      // Relay `@bearer`, but a short plain word after the scheme is prose ("Bearer token missing").
      .replace(/\b(bearer|basic)(\s+)(?![a-z]{1,15}\b)[\w.~+/-]+=*/gi, '$1$2[token]')
      .replace(ASSIGNMENT, assignment)
      // Relay `@email`, plus `%40` in encoded URLs; `icon@2x.png` is a file.
      .replace(
        /(^|[^\w.+%-])[\w.+%-]+(?:@|%40)(?!\dx\.)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}\b/gi,
        '$1[email]',
      )
      // Relay `@userpath`, but only where a path starts (after a host `/home/` is a web route);
      // a Windows profile name may hold spaces.
      .replace(
        /((?:^|[^\w./-]|\/\/|\/mnt\/[a-z]|[a-z]:)[\\/]{1,4}(?:users|home|documents and settings)[\\/]{1,4})([^\\/\s"'<>:|*?(),;]+(?:(?: [^\\/\s"'<>:|*?(),;]+)+(?=\\))?)/gi,
        '$1[user]',
      )
      // IBAN (ISO 13616) by shape and mod-97 check rather than Relay's country list.
      .replace(/\b[A-Z]{2}\d{2}(?: ?[A-Z\d]{4}){2,7}(?: ?[A-Z\d]{1,3})?\b/g, (m) => {
        const iban = m.replace(/ /g, '');
        let r = 0;
        for (const c of iban.slice(4) + iban.slice(0, 4)) {
          r = (r * (c > '9' ? 100 : 10) + parseInt(c, 36)) % 97;
        }
        return iban.length > 14 && r === 1 ? '[iban]' : m;
      })
      // Cards: 13–19 digits as people type them (4-4-4-x, Amex 4-6-5), issuer digit 2–6, Luhn.
      // A 15-digit Luhn number that is not Amex is an IMEI (Relay `@imei`), as is 2-6-6-1.
      .replace(
        /(^|[^\w.])(\d{2}-\d{6}-\d{6}-\d|[2-6]\d{3}[ -]?(?:\d{6}[ -]?\d{4,5}|\d{4}[ -]?\d{4}[ -]?\d{1,7})|\d{15})(?![.-]?\w)/g,
        (m, pre: string, candidate: string) => {
          const d = candidate.replace(/\D/g, '');
          // Luhn (ISO/IEC 7812): every second digit from the right doubled, sum divisible by 10.
          let sum = 0;
          for (let i = 0; i < d.length; i++) {
            const c = d.charAt(d.length - 1 - i);
            sum += Number(i % 2 ? '0246813579'.charAt(Number(c)) : c);
          }
          if (!Number(d) || sum % 10) return m;
          return pre + (d.length === 15 && !/^3[47]/.test(d) ? '[imei]' : '[creditcard]');
        },
      )
      // Relay `@usssn`, without the never-issued area 000, 666 and 9xx, group 00, serial 0000.
      .replace(/(^|[^\w-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g, '$1[ssn]')
      // Relay `@mac`, with one separator throughout.
      .replace(/\b[\da-f]{2}([:-])(?:[\da-f]{2}\1){4}[\da-f]{2}\b/gi, '[mac]')
      // Relay `@ip` for IPv6: candidates (hex groups, `::`, a v4 tail, a zone), then RFC 4291's
      // group count, eight or fewer with exactly one `::`, so times like 12:34:56 fail. A v4 tail
      // counts as one group: `::ffff:1.2.3.4` passes, the rare uncompressed form is left to IPv4.
      .replace(
        /(^|[^\w:.])((?:[\da-f]{0,4}:){1,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[\da-f]{1,4}|:))(%[\w.]+)?(?!\w|\.\d)/gi,
        (m, pre: string, address: string) => {
          const halves = address.split('::');
          const groups = halves.filter(Boolean).join(':').split(':');
          const ok =
            halves.length < 3 &&
            !groups.includes('') &&
            (halves.length > 1 ? groups.length < 8 : groups.length === 8);
          return ok ? `${pre}[ip]` : m;
        },
      )
      .replace(IPV4, (m, pre: string, ip: string) =>
        /ver|[a-z]\//i.test(pre) || ip.split('.').some((o) => +o > 255) ? m : `${pre}[ip]`,
      )
  );
}

/**
 * Replacing a value with a token can give its neighbours a new boundary (`::1/Users/x` becomes
 * `[ip]/Users/x`), so passes repeat until nothing changes, which makes the result idempotent.
 * Text without PII costs one pass; the bound only matters for contrived input.
 */
export function scrubText(text: string): string {
  let out = text;
  for (let i = 0; i < 4; i++) {
    const next = scrubOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}
