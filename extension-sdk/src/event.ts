import * as LIMITS from './limits.ts';
import type { IngestEvent } from './types.ts';

/** A value cut to `max` UTF-16 units, which is what the wire schema's `.max()` counts. */
export const clip = (value: string, max: number): string =>
  value.length > max ? value.slice(0, max) : value;

/**
 * A random id for events, sessions and installs: 32 hex digits. `crypto.randomUUID` is
 * secure-context only, and a content script on an `http:` page is not one; `getRandomValues` is
 * available everywhere.
 */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/**
 * A JSON copy of `value` when it serialises within `maxBytes`, else undefined. Storage and the
 * wire both need plain JSON, and a caller's context may hold cycles, BigInts or functions.
 */
export function jsonCopy<T>(value: T, maxBytes: number): T | undefined {
  try {
    const text = JSON.stringify(value);
    return text !== undefined && byteLength(text) <= maxBytes ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export const byteLength = (text: string): number => new TextEncoder().encode(text).byteLength;

/**
 * The wire `error` of any thrown value. An Error keeps its name, message and stack; a string is
 * a message; anything else is described by its keys, not its values, as sentry-javascript does
 * ("Object captured as exception with keys: …"), because values may be personal data.
 */
export function toWireError(value: unknown): IngestEvent['error'] {
  let type = 'Error';
  let message: string;
  let stack: string | undefined;
  if (typeof value === 'object' && value !== null && 'message' in value) {
    const e = value as { name?: unknown; message: unknown; stack?: unknown };
    type = typeof e.name === 'string' && e.name ? e.name : type;
    message = String(e.message);
    stack = typeof e.stack === 'string' ? e.stack : undefined;
  } else if (typeof value === 'object' && value !== null) {
    message = `Object captured as exception with keys: ${Object.keys(value).sort().join(', ')}`;
  } else {
    message = String(value);
  }
  const error: IngestEvent['error'] = {
    type: clip(type, LIMITS.type),
    message: clip(message, LIMITS.message),
  };
  if (stack) error.stack = clip(stack, LIMITS.stack);
  return error;
}

/** Tags within the wire limits: at most 50, keys and values cut to size. */
export function clipTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags)
      .filter(([k]) => k)
      .slice(0, LIMITS.tags)
      .map(([k, v]) => [clip(k, LIMITS.tagKey), clip(String(v), LIMITS.tagValue)]),
  );
}
