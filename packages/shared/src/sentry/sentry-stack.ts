import { INGEST_LIMITS } from '../wire/ingest.schema.ts';
import type { SentryFrame } from './sentry-event.schema.ts';

/** As many frames as the stack parser keeps (parse-stack.ts `MAX_FRAMES`, Sentry's own limit). */
const MAX_FRAMES = 50;

/** sentry-javascript's name for a frame without one (`UNKNOWN_FUNCTION`). */
const UNKNOWN_FUNCTION = '?';

/**
 * One Sentry frame as V8 prints it. Sentry's stack parsers keep the function as V8 wrote it
 * (`Object.formatDate`, `async syncBatch`, `new Promise`, `fn [as alias]`), so printing it back
 * gives the line Homeostat's own SDK sends for the same throw, and `computeFingerprint` groups
 * both alike. Three things the parsers fold away are restored:
 * - a frame of `eval`'d code: V8 names its top level `eval`, and Sentry keeps only the location
 *   of the script that called eval. Printed as an eval location again, so it stays out of
 *   grouping as it does for the SDK's raw stack;
 * - Firefox's async causes (`promise callback*fn`), kept in the name by Sentry's gecko parser;
 * - an anonymous function (`?`), which V8 prints as a bare location.
 */
function v8Frame(frame: SentryFrame): string | null {
  const file = frame.abs_path ?? frame.filename;
  if (!file) return null;
  const position = (n: number | undefined) =>
    n !== undefined && Number.isInteger(n) && n >= 0 ? `:${n}` : null;
  const line = position(frame.lineno);
  const column = line === null ? null : position(frame.colno);
  const location = `${file}${line ?? ''}${column ?? ''}`.replace(/[\r\n]+/g, ' ');
  let fn = (frame.function ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (fn === UNKNOWN_FUNCTION) fn = '';
  const star = fn.lastIndexOf('*');
  if (star >= 0) {
    // `async*` alone is an anonymous function: a bare location, as V8 prints one.
    const name = fn.slice(star + 1);
    fn = name ? `async ${name}` : '';
  }
  if (fn === 'eval') return `    at eval (eval at <anonymous> (${location}), <anonymous>)`;
  return fn ? `    at ${fn} (${location})` : `    at ${location}`;
}

/**
 * The V8-format stack string (`Type: message` and `    at …` lines, innermost first) of a
 * Sentry exception, whose frames arrive oldest first; undefined when no frame has a location.
 * Whole lines are kept up to the wire limit for stacks.
 */
export function sentryV8Stack(
  type: string,
  message: string,
  frames: readonly SentryFrame[] | undefined,
): string | undefined {
  const lines: string[] = [];
  for (let i = (frames?.length ?? 0) - 1; i >= 0 && lines.length < MAX_FRAMES; i--) {
    const frame = frames?.[i];
    const line = frame && v8Frame(frame);
    if (line) lines.push(line);
  }
  if (!lines.length) return undefined;
  let stack = message ? `${type}: ${message}` : type;
  stack = stack.slice(0, INGEST_LIMITS.stack);
  for (const line of lines) {
    if (stack.length + 1 + line.length > INGEST_LIMITS.stack) break;
    stack += `\n${line}`;
  }
  return stack;
}
