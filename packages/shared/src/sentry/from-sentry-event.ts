import { isVersion } from '../version/compare-versions.ts';
import {
  type Breadcrumb,
  INGEST_LIMITS,
  type IngestEvent,
  IngestEventSchema,
  type Surface,
  SurfaceSchema,
} from '../wire/ingest.schema.ts';
import {
  type SentryBreadcrumb,
  type SentryEvent,
  SentryEventSchema,
  type SentryException,
} from './sentry-event.schema.ts';
import { sentryV8Stack } from './sentry-stack.ts';

/**
 * The version events get when their `release` is not an extension version: the error still
 * becomes a problem, but it takes no part in release health or regression checks, which compare
 * real versions.
 */
const UNKNOWN_VERSION = '0';

/** One Sentry event as Homeostat's pipeline takes it (`ingestEvents` in the ingest Worker). */
export interface SentryEventConversion {
  event: IngestEvent;
  /** Who sent it: see `sentryInstallId`. */
  installId: string;
  version: string;
}

/**
 * Why a Sentry payload is not an event here (a closed set): `invalid` is not an event payload
 * at all, `not_an_error` is a valid event with nothing to group (no exception, message or
 * feedback, such as a transaction sent as an event).
 */
export type SentryEventSkip = 'invalid' | 'not_an_error';

export type SentryEventResult =
  | ({ ok: true } & SentryEventConversion)
  | { ok: false; reason: SentryEventSkip };

const cut = (text: string, max: number) => text.slice(0, max);

const bytes = (value: unknown): number => {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).byteLength;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/** A hex digest prefix of `text`, for ids derived from client data (never the data itself). */
async function digest(text: string, hexChars: number): Promise<string> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, hexChars);
}

/**
 * The install id of a Sentry event or session. Sentry has no per-install id; the closest is the
 * user id (`Sentry.setUser({ id })`, which sessions carry as `did`), so an extension that sets a
 * random per-install id there gets per-install limits and distinct-install counts as with
 * Homeostat's SDK. Without one, `fallback` (the trace id of the page load or worker lifetime, or
 * the event id) stands in. It is hashed, so a user id that is an email never becomes an id.
 */
export async function sentryInstallId(
  userId: string | number | undefined,
  fallback: string,
): Promise<string> {
  const source = userId === undefined || userId === '' ? `other:${fallback}` : `user:${userId}`;
  return `sentry-${await digest(source, 32)}`;
}

/**
 * The extension version in a Sentry `release`: the whole release (`1.4.2`) or what follows the
 * last `@` (`my-extension@1.4.2`, Sentry's convention), with a leading `v` and a `-beta.1` or
 * `+build` suffix dropped. Null when it is not a Chrome extension version (a commit SHA).
 */
export function extensionVersionOfRelease(release: string | undefined): string | null {
  if (release === undefined) return null;
  const tail = release.slice(release.lastIndexOf('@') + 1).slice(0, 64);
  const version = /^v?([\d.]+)(?:[-+][\w.-]*)?$/.exec(tail)?.[1];
  return version !== undefined && isVersion(version) ? version : null;
}

const EXTENSION_URL = /^(?:chrome|moz|safari-web|ms-browser)-extension:\/\/[^/]*\/([^?#]*)/i;

/**
 * Where in the extension the event happened. A `surface` tag says it outright (set it with
 * `scope.setTag('surface', 'offscreen')` where the guess below cannot tell). Otherwise the page
 * URL that sentry-javascript reports (`request.url`, from `document.location.href`) decides: a
 * web page's URL is a content script's host page; an extension URL is an extension page, named
 * by the usual file names, since the server does not have the manifest that Homeostat's SDK
 * reads (a script URL, as other SDKs report a worker's, is the service worker). No URL at all
 * means no document: when `inWorker` (the browser SDK, or frames in the extension's code), the
 * extension's service worker.
 */
export function sentrySurface(
  tag: string | undefined,
  url: string | undefined,
  inWorker = false,
): Surface {
  const tagged = SurfaceSchema.safeParse(tag);
  if (tagged.success) return tagged.data;
  if (url === undefined || url === '') return inWorker ? 'background' : 'unknown';
  const path = EXTENSION_URL.exec(url)?.[1];
  if (path === undefined) return /^(?:https?|file):/i.test(url) ? 'content' : 'unknown';
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (/\.m?js$/.test(name) || name.includes('background')) return 'background';
  const pages: [RegExp, Surface][] = [
    [/popup/, 'popup'],
    [/option/, 'options'],
    [/side-?_?panel/, 'sidepanel'],
    [/devtools/, 'devtools'],
    [/offscreen/, 'offscreen'],
  ];
  return pages.find(([re]) => re.test(name))?.[1] ?? 'page';
}

const LEVELS: Record<string, Breadcrumb['level']> = {
  fatal: 'error',
  error: 'error',
  warning: 'warning',
  log: 'info',
  info: 'info',
  debug: 'debug',
};

function breadcrumbOf(crumb: SentryBreadcrumb, now: number): Breadcrumb {
  const out: Breadcrumb = {
    timestamp: crumb.timestamp ?? now,
    category: cut(crumb.category || crumb.type || 'default', INGEST_LIMITS.breadcrumbCategory),
  };
  if (crumb.message !== undefined) {
    out.message = cut(crumb.message, INGEST_LIMITS.breadcrumbMessage);
  }
  const level = crumb.level === undefined ? undefined : LEVELS[crumb.level];
  if (level !== undefined) out.level = level;
  const data = crumb.data;
  if (
    data !== undefined &&
    Object.keys(data).every((k) => k.length <= INGEST_LIMITS.tagKey) &&
    bytes(data) <= INGEST_LIMITS.breadcrumbDataBytes
  ) {
    out.data = data;
  }
  return out;
}

function tagsOf(event: SentryEvent, own: Record<string, string>): Record<string, string> {
  const raw = Array.isArray(event.tags) ? event.tags : Object.entries(event.tags ?? {});
  const tags: Record<string, string> = {};
  const room = INGEST_LIMITS.tags - Object.keys(own).length;
  for (const [key, value] of raw) {
    if (Object.keys(tags).length >= room) break;
    if (!key || key.length > INGEST_LIMITS.tagKey || key in own) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      continue;
    }
    tags[key] = cut(String(value), INGEST_LIMITS.tagValue);
  }
  for (const [key, value] of Object.entries(own)) tags[key] = cut(value, INGEST_LIMITS.tagValue);
  return tags;
}

/**
 * Fills `context` with the parts that fit, in order of use, within the wire limit (64 bytes
 * spare, as the SDK keeps): a part that does not fit is left out and named in `omitted`.
 */
function contextOf(parts: [string, unknown][]): Record<string, unknown> | undefined {
  const context: Record<string, unknown> = {};
  const omitted: string[] = [];
  const budget = INGEST_LIMITS.contextBytes - 64;
  for (const [key, value] of parts) {
    if (value === undefined) continue;
    context[key] = value;
    if (bytes(context) > budget) {
      delete context[key];
      omitted.push(key);
    }
  }
  if (omitted.length) context.omitted = omitted;
  return Object.keys(context).length ? context : undefined;
}

const messageOf = (event: SentryEvent): string | undefined => {
  const m = event.message;
  const text = typeof m === 'string' ? m : (m?.formatted ?? m?.message);
  return text ?? event.logentry?.formatted ?? event.logentry?.message;
};

/** A cause of the primary exception, kept whole enough to read in the issue. */
function causeOf(exception: SentryException) {
  const type = cut(exception.type || 'Error', INGEST_LIMITS.type);
  const message = cut(exception.value ?? '', 1024);
  const stack = sentryV8Stack(type, message, exception.stacktrace?.frames);
  return { type, message, ...(stack === undefined ? {} : { stack: cut(stack, 4096) }) };
}

/**
 * The one conversion of a Sentry event (an envelope `event` or `feedback` item, or a `/store/`
 * body) into Homeostat's ingest event, which then goes through the one pipeline like any other:
 * scrubbed, fingerprinted by the server, limited, grouped (issue 13). What maps to what:
 * - the primary exception (the last of `exception.values`: Sentry lists chained exceptions
 *   oldest first) → `error`, its frames printed as the V8 stack Homeostat's SDK sends, so the
 *   same throw gets the same fingerprint; earlier ones → `context.causes`, nearest cause first;
 * - an event without exception (`captureMessage`) → `Message` (or `Error` at level error/fatal,
 *   as `captureException('text')` is by Homeostat's SDK), with its stack if one is attached;
 * - `feedback` → a user report; `breadcrumbs`, `tags` → the same fields, cut to the limits;
 * - `release` → the extension version (`extensionVersionOfRelease`); `environment`, `level` and
 *   the exception's mechanism → tags; `contexts`, `extra`, the SDK and the extension page's path
 *   → `context`, as much as fits;
 * - dropped: `user` (only its id is read, hashed, as the install), request headers and cookies,
 *   the URL of a content script's host page (the user's browsing), `debug_meta`, `modules`,
 *   spans, measurements and everything else.
 * `fallbackId` is used for the event id when the payload has none (a `/store/` body may not).
 */
export async function fromSentryEvent(
  raw: unknown,
  options: { now: number; fallbackId: string },
): Promise<SentryEventResult> {
  const parsed = SentryEventSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  const sentry = parsed.data;
  const { now } = options;

  const exceptions = sentry.exception ?? [];
  const primary = exceptions.at(-1);
  const message = messageOf(sentry);
  const feedback =
    sentry.type === 'feedback' ? feedbackMessage(sentry.contexts?.feedback) : undefined;
  let error: IngestEvent['error'];
  if (primary !== undefined) {
    const type = cut(primary.type || 'Error', INGEST_LIMITS.type);
    const value = cut(primary.value ?? message ?? '', INGEST_LIMITS.message);
    error = { type, message: value, stack: sentryV8Stack(type, value, primary.stacktrace?.frames) };
  } else if (feedback !== undefined) {
    error = { type: 'UserReport', message: cut(feedback, INGEST_LIMITS.message) };
  } else if (message !== undefined) {
    const type = sentry.level === 'error' || sentry.level === 'fatal' ? 'Error' : 'Message';
    const value = cut(message, INGEST_LIMITS.message);
    error = { type, message: value, stack: sentryV8Stack(type, value, sentry.stacktrace?.frames) };
  } else {
    return { ok: false, reason: 'not_an_error' };
  }
  if (error.stack === undefined) delete error.stack;

  const id = /^[0-9a-f]{32}$/i.test((sentry.event_id ?? '').replaceAll('-', ''))
    ? (sentry.event_id ?? '').replaceAll('-', '').toLowerCase()
    : options.fallbackId;
  const rawTags = Array.isArray(sentry.tags) ? Object.fromEntries(sentry.tags) : sentry.tags;
  const surfaceTag = rawTags?.surface;
  const url = sentry.request?.url;
  const inWorker =
    (sentry.sdk?.name ?? '').startsWith('sentry.javascript.browser') ||
    /^\s+at .*(?:chrome|moz|safari-web|ms-browser)-extension:\/\//m.test(error.stack ?? '');
  const surface = sentrySurface(
    typeof surfaceTag === 'string' ? surfaceTag : undefined,
    url,
    inWorker,
  );
  const version = extensionVersionOfRelease(sentry.release);

  const own: Record<string, string> = {};
  const mechanism = primary?.mechanism;
  own.mechanism = mechanism?.type || (feedback !== undefined ? 'feedback' : 'manual');
  if (mechanism?.handled !== undefined) own.handled = mechanism.handled ? 'yes' : 'no';
  if (sentry.level !== undefined) own.level = sentry.level;
  if (sentry.environment !== undefined) own.environment = sentry.environment;
  if (version === null && sentry.release !== undefined) own.release = sentry.release;

  const { trace, feedback: _feedback, ...contexts } = sentry.contexts ?? {};
  const sdk = sentry.sdk?.name && `${sentry.sdk.name}/${sentry.sdk.version ?? ''}`;
  const page = surface === 'content' ? undefined : EXTENSION_URL.exec(url ?? '')?.[1];
  const event: IngestEvent = {
    eventId: id,
    timestamp: sentry.timestamp ?? now,
    surface,
    error,
    tags: tagsOf(sentry, own),
  };
  const breadcrumbs = (sentry.breadcrumbs ?? [])
    .slice(-INGEST_LIMITS.breadcrumbs)
    .map((crumb) => breadcrumbOf(crumb, now));
  if (breadcrumbs.length) event.breadcrumbs = breadcrumbs;
  const context = contextOf([
    ['sdk', sdk ? cut(sdk, 128) : undefined],
    ['page', page === undefined ? undefined : cut(page, 256)],
    ['causes', exceptions.length > 1 ? exceptions.slice(0, -1).reverse().map(causeOf) : undefined],
    ['contexts', Object.keys(contexts).length ? contexts : undefined],
    ['extra', sentry.extra],
  ]);
  if (context !== undefined) event.context = context;
  if (feedback !== undefined) {
    event.userReport = { description: cut(feedback, INGEST_LIMITS.userReport) };
  }

  const traceId = (trace as { trace_id?: unknown } | undefined)?.trace_id;
  const installId = await sentryInstallId(
    sentry.user?.id,
    typeof traceId === 'string' && traceId ? `trace:${traceId}` : `event:${id}`,
  );
  // Defence in depth: whatever the mapping above missed, the pipeline only sees a valid event.
  const checked = IngestEventSchema.safeParse(event);
  if (!checked.success) return { ok: false, reason: 'invalid' };
  return {
    ok: true,
    event: checked.data,
    installId,
    version: version ?? UNKNOWN_VERSION,
  };
}

/** sentry-javascript's feedback puts the text in `contexts.feedback.message`. */
function feedbackMessage(feedback: unknown): string | undefined {
  const message = (feedback as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message ? message : undefined;
}
