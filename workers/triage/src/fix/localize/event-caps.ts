import type { IngestEvent } from '@homeostat/shared';
import type { FixContext } from '../fix.types.ts';

/**
 * The event as the fix context carries it: the scrubbed sample (ingest scrubbed it before storing
 * it), cut to what a fix needs. It is attacker-controlled text that the prompt fences as data;
 * the caps keep one crafted event from filling a prompt: the message at 2 KiB, the stack at its
 * first 30 frames (with its own copy of the message capped alike) and each line at 512 bytes.
 */

export const MAX_MESSAGE_BYTES = 2 * 1024;
export const MAX_STACK_FRAMES = 30;
const MAX_STACK_LINE_BYTES = 512;
const MAX_TYPE_BYTES = 200;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** At most `max` UTF-8 bytes, never splitting a character, with '…' when cut. */
export function truncateUtf8(text: string, max: number): string {
  const bytes = encoder.encode(text);
  if (bytes.byteLength <= max) return text;
  let end = max - 3; // room for '…' (3 bytes)
  // Back up to a character boundary: continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${decoder.decode(bytes.subarray(0, end))}…`;
}

const V8_FRAME = /^\s*at\s/;

export function capStack(stack: string): string {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((l) => V8_FRAME.test(l));
  if (firstFrame < 0) {
    // Firefox and Safari print frames only, one per line.
    return lines
      .slice(0, MAX_STACK_FRAMES)
      .map((l) => truncateUtf8(l, MAX_STACK_LINE_BYTES))
      .join('\n');
  }
  // V8 repeats the message (possibly over several lines) before the first frame.
  const kept = [truncateUtf8(lines.slice(0, firstFrame).join('\n'), MAX_MESSAGE_BYTES)];
  let count = 0;
  for (const line of lines.slice(firstFrame)) {
    if (V8_FRAME.test(line) && ++count > MAX_STACK_FRAMES) break;
    kept.push(truncateUtf8(line, MAX_STACK_LINE_BYTES));
  }
  return kept.join('\n');
}

export function cappedEvent(sample: IngestEvent, version: string): FixContext['event'] {
  return {
    type: truncateUtf8(sample.error.type, MAX_TYPE_BYTES),
    message: truncateUtf8(sample.error.message, MAX_MESSAGE_BYTES),
    stack: sample.error.stack === undefined ? null : capStack(sample.error.stack),
    surface: sample.surface,
    version,
    // The SDK tags how it caught the error; the pattern library reads it (fix.types.ts).
    mechanism:
      typeof sample.tags?.mechanism === 'string'
        ? truncateUtf8(sample.tags.mechanism, MAX_TYPE_BYTES)
        : null,
  };
}
