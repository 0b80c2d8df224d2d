/**
 * Key names whose values are secrets, matched by words rather than substrings (issue 11: values
 * under `tokenizer`, `author`, `oauthFlow` or `authBot` were filtered). A key is split into words
 * at camelCase humps, `_`, `-`, `.` and spaces; it is sensitive when a secret noun is its last
 * word or is followed only by words that qualify it (`session_id`, `passwordHash`,
 * `AWS_SECRET_ACCESS_KEY`), since the last word of a compound names what it holds:
 * `tokenCount` is a count, `accessToken` a token.
 *
 * Long nouns may end a longer word (`accesstoken`, `csrftoken`, `PHPSESSID`, `oauth`); short ones
 * must stand alone (`pin` is no `spinner`, `pass` no `compass`, `tel` no `hotel`). The nouns are
 * Sentry's defaults (docs.sentry.io server-side-scrubbing) and GlitchTip's cookie, session and
 * csrf names, plus what issue 11 found missing: passphrases, one-time codes, PINs, card security
 * codes, phone numbers and postal addresses. Google's `authuser` is an account index.
 */
const SENSITIVE_WORDS =
  /(?:^|_)(?:[a-z\d]*(?:token|secrets?|passw(?:or)?ds?|passphrase|passcode|pwd|auth|authorization|cookies?|sessions?|sess(?:ion)?id|sid|csrf|xsrf|apikey|privatekey|credentials?|jwt)|pass|pw|pin|otp|[th]otp|ssn|cvv2?|cvc2?|api_key|private_key|credit_card|c(?:ard|c)_(?:number|num|no)|one_time_(?:code|password|pin|token)|(?:verification|security|mfa|2fa|two_factor|sms|recovery|backup|login)_code|social_security|(?:tele)?phone|tel|fax|msisdn|(?:mobile|cell)_(?:phone|number|no)|address|street)\d*(?:_(?:id|key|access|value|val|token|hash|header|string|str|data|raw|text|number|num|no|code|confirm(?:ation)?|b64|base64|hex|plain|enc(?:rypted)?|line)?\d*)*$/;

/**
 * The extension SDK's share of `SENSITIVE_WORDS` (its size budget, issue 4): the common secret
 * nouns and qualifiers only. Every key it matches the full list matches too, so the SDK never
 * filters what ingest would keep; ingest filters the rest (passphrases, PINs, phones…).
 */
const CORE_SENSITIVE_WORDS =
  /(?:^|_)(?:[a-z\d]*(?:token|secrets?|passw(?:or)?ds?|pwd|auth|authorization|cookies?|sessions?|sess(?:ion)?id|sid|csrf|xsrf|apikey|privatekey|credentials?|jwt)|ssn|api_key|private_key|credit_card)(?:_(?:id|key|access|value|token|hash|header|data)?)*$/;

/** `fooBarID-x.y` → `foo_bar_id_x_y`; only the end is read, where the head noun sits. */
const words = (key: string) =>
  key
    .slice(-80)
    .replace(/([a-z\d])([A-Z])|([A-Z])([A-Z][a-z])/g, '$1$3_$2$4')
    .toLowerCase()
    .replace(/[^a-z\d]+/g, '_');

/** Whether `key` names a secret. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_WORDS.test(words(key));
}

/** Whether `key` names a secret by the SDK's shorter list (`CORE_SENSITIVE_WORDS`). */
export function isSensitiveKeyCore(key: string): boolean {
  return CORE_SENSITIVE_WORDS.test(words(key));
}
