import { z } from 'zod';

/**
 * Sentry's envelope format (develop.sentry.dev/sdk/data-model/envelopes/): a JSON header line,
 * then items, each a JSON header line and a payload. A payload whose header gives `length` is
 * exactly that many bytes (then an optional newline); otherwise it runs to the next newline or
 * the end. Lengths are bytes, so the envelope is read as bytes, not as a string.
 *
 * The body is attacker-controlled and already capped in size (`SENTRY_LIMITS.maxBodyBytes`) when
 * it gets here; parsing is linear in it and keeps at most `SENTRY_LIMITS.maxItems` items.
 */
export const SENTRY_LIMITS = {
  /**
   * Decompressed bytes of one request. Relay's `max_event_size` default (1 MiB): a Sentry event
   * carries full breadcrumbs, contexts and `extra`, which the conversion then cuts to the
   * ingest limits (`INGEST_LIMITS`), so the body may be larger than `/v1/events`' 256 KiB.
   */
  maxBodyBytes: 1024 * 1024,
  maxItems: 100,
} as const;

const NEWLINE = 0x0a;

export interface SentryEnvelopeItem {
  /** The item's `type` (`event`, `session`, `client_report`…), as sent. */
  type: string;
  payload: Uint8Array;
}

/** The envelope header fields Homeostat reads; the rest is ignored. */
export const SentryEnvelopeHeaderSchema = z.looseObject({
  event_id: z.string().max(64).optional().catch(undefined),
  /** Set by SDKs that send through a `tunnel`: the DSN to authenticate with. */
  dsn: z.string().max(2048).optional().catch(undefined),
});
export type SentryEnvelopeHeader = z.infer<typeof SentryEnvelopeHeaderSchema>;

const ItemHeaderSchema = z.looseObject({
  type: z.string().min(1).max(64),
  length: z.int().min(0).optional(),
});

export interface SentryEnvelope {
  header: SentryEnvelopeHeader;
  items: SentryEnvelopeItem[];
}

/** Why an envelope could not be read: its framing, never its content, is wrong. */
export type SentryEnvelopeProblem = 'invalid_envelope' | 'too_many_items';

export type SentryEnvelopeResult =
  | { ok: true; envelope: SentryEnvelope }
  | { ok: false; problem: SentryEnvelopeProblem };

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** JSON of `bytes` as strict UTF-8, or `undefined` when it is not JSON. */
export function parseSentryJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

export function parseSentryEnvelope(body: Uint8Array): SentryEnvelopeResult {
  const lineEnd = (from: number) => {
    const i = body.indexOf(NEWLINE, from);
    return i < 0 ? body.length : i;
  };
  const fail = (problem: SentryEnvelopeProblem) => ({ ok: false, problem }) as const;

  let end = lineEnd(0);
  const header = SentryEnvelopeHeaderSchema.safeParse(parseSentryJson(body.subarray(0, end)));
  if (!header.success) return fail('invalid_envelope');
  let offset = end + 1;
  const items: SentryEnvelopeItem[] = [];
  while (offset < body.length) {
    end = lineEnd(offset);
    // A blank line between items or at the end (SDKs end with a newline) carries nothing.
    if (end === offset) {
      offset++;
      continue;
    }
    const itemHeader = ItemHeaderSchema.safeParse(parseSentryJson(body.subarray(offset, end)));
    if (!itemHeader.success) return fail('invalid_envelope');
    if (items.length === SENTRY_LIMITS.maxItems) return fail('too_many_items');
    offset = Math.min(end + 1, body.length);
    const { type, length } = itemHeader.data;
    if (length === undefined) {
      end = lineEnd(offset);
      items.push({ type, payload: body.subarray(offset, end) });
      offset = end + 1;
    } else {
      if (offset + length > body.length) return fail('invalid_envelope');
      items.push({ type, payload: body.subarray(offset, offset + length) });
      offset += length;
      if (body[offset] === NEWLINE) offset++;
    }
  }
  return { ok: true, envelope: { header: header.data, items } };
}
