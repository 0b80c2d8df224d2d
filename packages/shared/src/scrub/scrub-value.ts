import type { IngestEvent } from '../wire/ingest.schema.ts';
import { FILTERED, SENSITIVE_KEY, scrubText } from './scrub-text.ts';

/** Keys go through `scrubText` too (an email used as a map key is still an email). */
function entries<T, R>(
  record: Record<string, T>,
  scrub: (value: T) => R,
): Record<string, R | string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [
      scrubText(k),
      SENSITIVE_KEY.test(k) ? FILTERED : scrub(v),
    ]),
  );
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (!value || typeof value !== 'object') return value;
  // Objects and arrays are copied down to depth 7 (the value passed in is depth 0); deeper ones
  // become `[Filtered]`, so a runaway structure costs bounded work and output.
  if (depth > 7) return FILTERED;
  // Each object is copied once: a cycle ends, and a subtree shared under many keys cannot
  // multiply the work. Its second appearance becomes '[Circular]'.
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const next = (v: unknown) => walk(v, depth + 1, seen);
  try {
    return Array.isArray(value) ? value.map(next) : entries(value as Record<string, unknown>, next);
  } catch {
    // A throwing getter or proxy in an SDK caller's object must not break error reporting.
    return FILTERED;
  }
}

/**
 * A scrubbed deep copy. Under a key that names a secret (Sentry's defaults: password, secret,
 * token, auth, cookie, session, csrf, api_key, private_key, credentials, card numbers, ssn… as
 * case-insensitive substrings) the whole value becomes `[Filtered]`, whatever its type; every
 * other string, keys included, goes through `scrubText`; numbers, booleans, null and undefined
 * are kept. The input is never mutated.
 */
export function scrubValue(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

/**
 * The ingest event with every free-text field scrubbed: error type, message and stack,
 * breadcrumb messages and data, tags, context and the user's report. Unlike Sentry's defaults
 * (Relay convert.rs `DATASCRUBBER_IGNORE`), messages and stack paths are scrubbed too, since
 * extensions put URLs with tokens and users' home paths in both. Ids, timestamps, the surface and
 * breadcrumb categories are left as they are.
 */
export function scrubEvent(event: IngestEvent): IngestEvent {
  const { error, breadcrumbs, tags, context, userReport } = event;
  const record = (r: Record<string, unknown>) => entries(r, (v) => walk(v, 1, new WeakSet()));
  const out: IngestEvent = {
    ...event,
    error: { ...error, type: scrubText(error.type), message: scrubText(error.message) },
  };
  if (error.stack) out.error.stack = scrubText(error.stack);
  if (breadcrumbs) {
    out.breadcrumbs = breadcrumbs.map((crumb) => {
      const copy = { ...crumb };
      if (crumb.message) copy.message = scrubText(crumb.message);
      if (crumb.data) copy.data = record(crumb.data);
      return copy;
    });
  }
  if (tags) out.tags = entries(tags, scrubText);
  if (context) out.context = record(context);
  // Built field by field: a field added to the schema later must not slip through unscrubbed.
  if (userReport) out.userReport = { description: scrubText(userReport.description) };
  return out;
}
