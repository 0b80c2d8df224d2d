import { type IngestEvent, IngestEventSchema } from '../wire/ingest.schema.ts';
import { fromSentryEvent } from './from-sentry-event.ts';
import {
  SentryApiBreadcrumbsEntrySchema,
  type SentryApiEvent,
  SentryApiExceptionEntrySchema,
  type SentryApiFrame,
  SentryApiRequestEntrySchema,
} from './sentry-api-event.schema.ts';

/**
 * One event of Sentry's REST API as an event of Homeostat's pipeline (issue 13, item 2). The API
 * serializes a stored event differently from what an SDK sends (camelCase `entries` blocks instead
 * of `exception`, `breadcrumbs` and `request`), so it is first put back into the protocol's shape
 * and then converted by `fromSentryEvent`, the one conversion the Sentry-compatible door uses too:
 * the same throw imported from Sentry or sent to Homeostat groups alike, gets the same install id,
 * version and surface, and keeps Sentry's event id, so importing it twice — a retried cron tick,
 * or an event that also reached the envelope endpoint — is a `duplicate`.
 *
 * Added here: the Sentry issue it came from (`context.sentry`), and the client address Sentry
 * recorded (`user.ip_address`), which plays the part `CF-Connecting-IP` plays for a direct
 * request: ingest keeps only a hash of its prefix. Nothing is scrubbed here; the pipeline does.
 */
export interface ImportedSentryEvent {
  event: IngestEvent;
  installId: string;
  version: string;
  clientAddress: string | null;
}

export type SentryApiConversion =
  | { ok: true; value: ImportedSentryEvent }
  /** `not_an_error`: a message, transaction or feedback; `invalid`: no usable exception data. */
  | { ok: false; reason: 'not_an_error' | 'invalid' };

/** Which Sentry project and issue the event came from, kept as context for the GitHub issue. */
export interface SentryIssueRef {
  org: string;
  project: string;
  issueId: string;
  shortId: string;
  permalink: string;
}

/** Sentry's `user` tag names the user (`id:…`, `email:…`): identity, never a tag here. */
const DROPPED_TAGS = new Set(['user']);

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

function entryOf<T>(
  entries: readonly unknown[],
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
): T | undefined {
  for (const entry of entries) {
    const parsed = schema.safeParse(entry);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

function protocolFrame(frame: SentryApiFrame) {
  return {
    filename: orUndefined(frame.filename),
    abs_path: orUndefined(frame.absPath),
    function: orUndefined(frame.function),
    lineno: orUndefined(frame.lineNo),
    colno: orUndefined(frame.colNo),
  };
}

/** The API event in the shape of the event an SDK sends (develop.sentry.dev event payloads). */
export function sentryApiEventToProtocol(api: SentryApiEvent): Record<string, unknown> {
  const exceptions = entryOf(api.entries, SentryApiExceptionEntrySchema)?.data.values ?? [];
  const crumbs = entryOf(api.entries, SentryApiBreadcrumbsEntrySchema)?.data.values ?? [];
  const url = entryOf(api.entries, SentryApiRequestEntrySchema)?.data.url;
  const tags = (api.tags ?? []).filter((t) => !DROPPED_TAGS.has(t.key));
  const tag = (key: string) => tags.find((t) => t.key === key)?.value;
  return {
    event_id: api.eventID,
    timestamp: api.dateCreated,
    level: tag('level'),
    release: orUndefined(api.release?.version) ?? tag('release'),
    environment: tag('environment'),
    message: orUndefined(api.message) || undefined,
    exception: {
      values: exceptions.map((e) => ({
        type: orUndefined(e.type),
        value: orUndefined(e.value),
        // The SDK's own frames (minified `chrome-extension://` URLs) when Sentry rewrote them:
        // triage maps them with the release's uploaded maps, and they group as the SDK's do.
        stacktrace: {
          frames: (e.rawStacktrace?.frames ?? e.stacktrace?.frames ?? []).map(protocolFrame),
        },
        mechanism: e.mechanism
          ? { type: orUndefined(e.mechanism.type), handled: orUndefined(e.mechanism.handled) }
          : undefined,
      })),
    },
    breadcrumbs: crumbs.map((c) => ({
      timestamp: orUndefined(c.timestamp),
      type: orUndefined(c.type),
      category: orUndefined(c.category),
      message: orUndefined(c.message),
      level: orUndefined(c.level),
      data: orUndefined(c.data),
    })),
    tags: tags.map((t) => [t.key, t.value]),
    contexts: orUndefined(api.contexts),
    user: api.user?.id ? { id: api.user.id } : undefined,
    request: url ? { url } : undefined,
    sdk: api.sdk
      ? { name: orUndefined(api.sdk.name), version: orUndefined(api.sdk.version) }
      : undefined,
  };
}

export async function convertSentryApiEvent(
  api: SentryApiEvent,
  issue: SentryIssueRef,
  now: number,
): Promise<SentryApiConversion> {
  // Issues of other categories (performance, feedback, cron) have no exception to fix.
  if (api.type !== 'error') return { ok: false, reason: 'not_an_error' };
  const converted = await fromSentryEvent(sentryApiEventToProtocol(api), {
    now,
    fallbackId: api.eventID.toLowerCase(),
  });
  if (!converted.ok) return converted;
  const ref = {
    org: issue.org,
    project: issue.project,
    issueId: issue.issueId,
    shortId: issue.shortId.slice(0, 64),
    permalink: issue.permalink.slice(0, 512),
  };
  const { event } = converted;
  // The issue reference first; Sentry's contexts and extra give way when the whole exceeds the
  // wire limit, as they do in `fromSentryEvent`.
  let withRef = IngestEventSchema.safeParse({
    ...event,
    context: { sentry: ref, ...event.context },
  });
  if (!withRef.success) {
    const { contexts: _contexts, extra: _extra, ...rest } = event.context ?? {};
    withRef = IngestEventSchema.safeParse({
      ...event,
      context: { sentry: ref, ...rest, omitted: ['contexts', 'extra'] },
    });
  }
  return {
    ok: true,
    value: {
      event: withRef.success ? withRef.data : event,
      installId: converted.installId,
      version: converted.version,
      clientAddress: clientAddressOf(api.user?.ip_address ?? null),
    },
  };
}

/** An IP literal, or null: Sentry may store anything a client claimed there. */
function clientAddressOf(ip: string | null): string | null {
  if (ip === null || ip.length > 45) return null;
  const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
  const v6 = ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip);
  return v4 || v6 ? ip : null;
}
