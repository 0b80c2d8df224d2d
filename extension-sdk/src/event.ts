import * as LIMITS from './limits.ts';
import type { IngestEvent } from './types.ts';

/** For promises whose failure is already accounted for. */
export const noop = (): void => {};

/**
 * A random id for events, sessions and installs: 32 hex digits. `crypto.randomUUID` is
 * secure-context only, and a content script on an `http:` page is not one; `getRandomValues` is
 * available everywhere.
 */
export const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** UTF-8 bytes of a JSON text (0 for `undefined`, what `JSON.stringify` gives for nothing). */
export const utf8 = (text: string | undefined): number => new TextEncoder().encode(text).length;

/**
 * A JSON copy of `value` when it serialises within `maxBytes`, else undefined. Storage, messaging
 * and the wire all need plain JSON, and a caller's context may hold cycles, BigInts or functions.
 */
export function jsonCopy<T>(value: T, maxBytes: number): T | undefined {
  try {
    const text = JSON.stringify(value);
    // `JSON.parse(undefined)` throws: nothing to copy.
    if (utf8(text) <= maxBytes) return JSON.parse(text);
  } catch {
    // A cycle or a BigInt: the value cannot travel.
  }
  return undefined;
}

/**
 * The wire `error` of any thrown value. An Error keeps its name, message and stack; a string is
 * a message; anything else is described by its keys, not its values, as sentry-javascript does
 * ("Object captured as exception with keys: …"), because values may be personal data. Lengths
 * are cut in the service worker (`fit`).
 */
export function toWireError(value: unknown): IngestEvent['error'] {
  const e = value as { name?: unknown; message?: unknown; stack?: unknown } | null;
  if (typeof e !== 'object' || !e) return { type: 'Error', message: String(value) };
  if (!('message' in e)) {
    return {
      type: 'Error',
      message: `Object captured as exception with keys: ${Object.keys(e).sort().join(', ')}`,
    };
  }
  return {
    type: (typeof e.name === 'string' && e.name) || 'Error',
    message: String(e.message),
    stack: typeof e.stack === 'string' ? e.stack : undefined,
  };
}

const cut = (text: string, max: number): string => text.slice(0, max);

/**
 * Every field within the wire limits (UTF-16 units for strings, as the schema's `.max()` counts;
 * JSON bytes for context and breadcrumb data, dropped when over), so that one oversized event
 * can never make ingest refuse the whole batch with a 400. The service worker applies it before
 * scrubbing, which bounds the scrubber's work, and after, because a token can be longer than
 * what it replaced (`a=b` → `a=[Filtered]`). Context keeps 64 bytes spare for the dedupe counts.
 */
export function fit(event: IngestEvent): IngestEvent {
  const { error, tags = {}, breadcrumbs, context, userReport } = event;
  return {
    ...event,
    error: {
      type: cut(error.type, LIMITS.type),
      message: cut(error.message, LIMITS.message),
      stack: error.stack && cut(error.stack, LIMITS.stack),
    },
    tags: Object.fromEntries(
      Object.entries(tags)
        .filter(([k]) => k)
        .slice(0, LIMITS.tags)
        .map(([k, v]) => [cut(k, LIMITS.tagKey), cut(String(v), LIMITS.tagValue)]),
    ),
    breadcrumbs: breadcrumbs?.map((crumb) => ({
      ...crumb,
      category: cut(crumb.category, LIMITS.breadcrumbCategory),
      message: crumb.message && cut(crumb.message, LIMITS.breadcrumbMessage),
      data: jsonCopy(crumb.data, LIMITS.breadcrumbDataBytes),
    })),
    context: jsonCopy(context, LIMITS.contextBytes - 64),
    userReport: userReport && { description: cut(userReport.description, LIMITS.userReport) },
  };
}
