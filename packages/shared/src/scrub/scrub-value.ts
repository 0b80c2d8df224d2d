import type { IngestEvent } from '../wire/ingest.schema.ts';
import { FILTERED, scrubText, scrubTextCore } from './scrub-text.ts';
import { isSensitiveKey, isSensitiveKeyCore } from './sensitive-key.ts';

/**
 * How free text is scrubbed, which key names are secrets and what a scrubbed breadcrumb category
 * becomes: all rules, or the SDK's core. Only ingest keeps a category to `[\w.-]`, after all
 * rules: an SDK that did so would turn `sms:+1415…` into `sms__1415…`, which no rule knows as a
 * phone.
 */
type Rules = {
  text: (text: string) => string;
  key: (key: string) => boolean;
  category: (scrubbed: string) => string;
};
const ALL: Rules = {
  text: scrubText,
  key: isSensitiveKey,
  category: (c) => c.replace(/[^\w.-]/g, '_'),
};
const CORE: Rules = { text: scrubTextCore, key: isSensitiveKeyCore, category: (c) => c };

/**
 * Keys go through the text scrubber too (an email used as a map key is still an email). A value
 * is filtered under a key that names a secret, and under `value` when a sibling `name`, `key` or
 * `header` names one: cookies and headers are held as `{name, value}` (issue 11). Booleans and
 * null tell nothing. A four-part version under a version key is no IPv4 address.
 */
function entries<T, R>(
  record: Record<string, T>,
  scrub: (value: T) => R,
  rules: Rules,
): Record<string, R | T | string> {
  const named = ['name', 'key', 'header'].some((n) => {
    const name = record[n];
    return typeof name === 'string' && rules.key(name);
  });
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [
      rules.text(k),
      typeof v === 'boolean' || v == null
        ? v
        : rules.key(k) || (named && /^val(?:ue)?s?$/i.test(k))
          ? FILTERED
          : typeof v === 'string' &&
              /version|(?:^|[^a-z])(?:ver|build|release|rev)(?![a-z])/i.test(k) &&
              /^\d{1,5}(?:\.\d{1,5}){3}$/.test(v)
            ? v
            : scrub(v),
    ]),
  );
}

function walk(value: unknown, depth: number, seen: WeakSet<object>, rules: Rules): unknown {
  if (typeof value === 'string') return rules.text(value);
  // A card number sent as a JSON number is still one (issue 11); only long integers can be.
  if (typeof value === 'number' && Number.isInteger(value) && value > 1e11) {
    const digits = String(value);
    const scrubbed = rules.text(digits);
    return scrubbed === digits ? value : scrubbed;
  }
  if (!value || typeof value !== 'object') return value;
  // Objects and arrays are copied down to depth 7 (the value passed in is depth 0); deeper ones
  // become `[Filtered]`, so a runaway structure costs bounded work and output.
  if (depth > 7) return FILTERED;
  // Each object is copied once: a cycle ends, and a subtree shared under many keys cannot
  // multiply the work. Its second appearance becomes '[Circular]'.
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const next = (v: unknown) => walk(v, depth + 1, seen, rules);
  try {
    if (!Array.isArray(value)) return entries(value as Record<string, unknown>, next, rules);
    // `[name, value]` pairs in a list, as Headers and URLSearchParams entries hold headers and
    // cookies; a lone `['token', 'expiry']` is a list of names.
    return value.map((v) => {
      const out = next(v);
      return Array.isArray(out) && out.length === 2 && typeof v[0] === 'string' && rules.key(v[0])
        ? [out[0], FILTERED]
        : out;
    });
  } catch {
    // A throwing getter or proxy in an SDK caller's object must not break error reporting.
    return FILTERED;
  }
}

/**
 * A scrubbed deep copy. Under a key that names a secret (`isSensitiveKey`: password, secret,
 * token, auth, cookie, session, csrf, api key, private key, credentials, card numbers, ssn,
 * passphrase, one-time codes, PINs, phone, address… matched by words) the whole value becomes
 * `[Filtered]` unless it is a boolean or null; so does the value beside a sensitive `name` in
 * `{name, value}` and in a list of `[name, value]` pairs. Every other string, keys included, goes through
 * `scrubText`, and so do long integers (card numbers); other numbers, booleans, null and
 * undefined are kept. The input is never mutated.
 */
export function scrubValue(value: unknown): unknown {
  return walk(value, 0, new WeakSet(), ALL);
}

function scrubEventWith(event: IngestEvent, all: Rules): IngestEvent {
  const { error, breadcrumbs, tags, context, userReport } = event;
  // Keys, categories and short values recur across one event's breadcrumbs: each distinct
  // string is scrubbed once per event (nothing outlives the call).
  const memo = new Map<string, string>();
  const text = (t: string) => memo.get(t) ?? memo.set(t, all.text(t)).get(t) ?? t;
  const rules = { ...all, text };
  const record = (r: Record<string, unknown>) =>
    entries(r, (v) => walk(v, 1, new WeakSet(), rules), rules);
  const out: IngestEvent = {
    ...event,
    error: { ...error, type: text(error.type), message: text(error.message) },
  };
  if (error.stack) out.error.stack = text(error.stack);
  if (breadcrumbs) {
    out.breadcrumbs = breadcrumbs.map((crumb) => {
      const copy = { ...crumb, category: rules.category(text(crumb.category)) };
      if (crumb.message) copy.message = text(crumb.message);
      if (crumb.data) copy.data = record(crumb.data);
      return copy;
    });
  }
  if (tags) out.tags = entries(tags, text, rules);
  if (context) out.context = record(context);
  // Built field by field: a field added to the schema later must not slip through unscrubbed.
  if (userReport) out.userReport = { description: text(userReport.description) };
  return out;
}

/**
 * The ingest event with every free-text field scrubbed: error type, message and stack,
 * breadcrumb categories, messages and data, tags, context and the user's report. Unlike Sentry's
 * defaults (Relay convert.rs `DATASCRUBBER_IGNORE`), messages and stack paths are scrubbed too,
 * since extensions put URLs with tokens and users' home paths in both. A category is also kept
 * to `[\w.-]` (issue 11: it was stored unscrubbed and is printed in issue bodies). Ids,
 * timestamps and the surface are left as they are.
 */
export function scrubEvent(event: IngestEvent): IngestEvent {
  return scrubEventWith(event, ALL);
}

/**
 * `scrubEvent` with the core rules (`scrubTextCore`, `isSensitiveKeyCore`), which is what the
 * extension SDK runs on the device: it changes nothing `scrubEvent` would keep, and ingest's
 * `scrubEvent` finishes the job before anything is stored.
 */
export function scrubEventCore(event: IngestEvent): IngestEvent {
  return scrubEventWith(event, CORE);
}
