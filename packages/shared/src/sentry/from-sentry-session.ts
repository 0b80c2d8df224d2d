import { INGEST_LIMITS } from '../wire/ingest.schema.ts';
import { extensionVersionOfRelease, sentryInstallId } from './from-sentry-event.ts';
import {
  SentryClientReportSchema,
  SentrySessionAggregatesSchema,
  SentrySessionSchema,
} from './sentry-event.schema.ts';

/** Session starts for Homeostat's release health (`recordSessions` in the ingest Worker). */
export interface SentrySessionBatch {
  installId: string;
  version: string;
  sessions: { sessionId: string; startedAt: number }[];
}

/**
 * Why a session item counts nothing (a closed set): `invalid` payload; `no_release` when its
 * release is not an extension version (release health is per version, so it has nowhere to go);
 * `not_a_start` for an update of a session already started (`init` false): Homeostat counts
 * starts, and error-affected sessions from the events themselves.
 */
export type SentrySessionSkip = 'invalid' | 'no_release' | 'not_a_start';

export type SentrySessionResult =
  | ({ ok: true } & SentrySessionBatch)
  | { ok: false; reason: SentrySessionSkip };

const OPAQUE_ID = /^[A-Za-z0-9_-]{8,128}$/;

async function hex(text: string): Promise<string> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash, 0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A `session` item (sentry-javascript's `browserSessionIntegration` sends one per page load). */
export async function fromSentrySession(raw: unknown): Promise<SentrySessionResult> {
  const parsed = SentrySessionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  const session = parsed.data;
  const version = extensionVersionOfRelease(session.attrs.release);
  if (version === null) return { ok: false, reason: 'no_release' };
  if (session.init !== true) return { ok: false, reason: 'not_a_start' };
  const sid = session.sid.replaceAll('-', '');
  const sessionId = OPAQUE_ID.test(sid) ? sid : `sid-${await hex(session.sid)}`;
  return {
    ok: true,
    installId: await sentryInstallId(session.did, `session:${sessionId}`),
    version,
    sessions: [{ sessionId, startedAt: session.started }],
  };
}

/**
 * A `sessions` item: counts per minute without session ids, as server-side SDKs send them.
 * Each counted session gets an id derived from its bucket, so a resent item counts once; at most
 * `INGEST_LIMITS.maxSessions` per item.
 */
export async function fromSentrySessionAggregates(raw: unknown): Promise<SentrySessionResult> {
  const parsed = SentrySessionAggregatesSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  const { aggregates, attrs } = parsed.data;
  const version = extensionVersionOfRelease(attrs.release);
  if (version === null) return { ok: false, reason: 'no_release' };
  const sessions: SentrySessionBatch['sessions'] = [];
  for (const bucket of aggregates) {
    const total = bucket.exited + bucket.errored + bucket.abnormal + bucket.crashed;
    for (let i = 0; i < total && sessions.length < INGEST_LIMITS.maxSessions; i++) {
      const key = `${attrs.release}|${bucket.started}|${bucket.did ?? ''}|${i}`;
      sessions.push({ sessionId: `agg-${await hex(key)}`, startedAt: bucket.started });
    }
  }
  if (!sessions.length) return { ok: false, reason: 'not_a_start' };
  const first = aggregates[0];
  return {
    ok: true,
    installId: await sentryInstallId(first?.did, `aggregate:${attrs.release}:${first?.started}`),
    version,
    sessions,
  };
}

/**
 * A `client_report` item's discarded events, summed by reason. Reasons are sentry-javascript's
 * closed set (`before_send`, `event_processor`, `network_error`, `queue_overflow`,
 * `ratelimit_backoff`, `sample_rate`, `send_error`, `internal_sdk_error`…); anything else is
 * counted as `other`, so what the Worker reports is never free text from the client.
 */
export const CLIENT_REPORT_REASONS = [
  'before_send',
  'event_processor',
  'network_error',
  'queue_overflow',
  'ratelimit_backoff',
  'sample_rate',
  'send_error',
  'internal_sdk_error',
  'buffer_overflow',
  'ignored',
  'other',
] as const;
export type ClientReportReason = (typeof CLIENT_REPORT_REASONS)[number];

export function tallyClientReport(
  raw: unknown,
): Partial<Record<ClientReportReason, number>> | null {
  const parsed = SentryClientReportSchema.safeParse(raw);
  if (!parsed.success) return null;
  const tally: Partial<Record<ClientReportReason, number>> = {};
  for (const { reason, quantity } of parsed.data.discarded_events) {
    const known = (CLIENT_REPORT_REASONS as readonly string[]).includes(reason)
      ? (reason as ClientReportReason)
      : 'other';
    tally[known] = (tally[known] ?? 0) + quantity;
  }
  return tally;
}
