import {
  type ClientReportReason,
  type ExtensionConfig,
  fromSentryEvent,
  fromSentrySession,
  fromSentrySessionAggregates,
  INGEST_LIMITS,
  parseSentryEnvelope,
  parseSentryJson,
  type SentryEventConversion,
  type SentrySessionBatch,
  tallyClientReport,
} from '@homeostat/shared';
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { IngestError } from '../ingest-error.ts';
import type { KeyIndex } from '../ingest-key.ts';
import { ingestEvents } from '../ingest-pipeline.ts';
import { recordSessions } from '../sessions.route.ts';
import { dsnKey, projectIdOf, requestKey, sentryExtension } from './sentry-auth.ts';
import { readSentryBody } from './sentry-body.ts';
import {
  acceptedResponse,
  limit,
  rateLimitedResponse,
  type SentryCategory,
  type SentryRateLimits,
  sentryErrorResponse,
} from './sentry-response.ts';

type SentryContext = Context<{ Bindings: Env }>;

interface ConvertedEvent extends SentryEventConversion {
  category: SentryCategory;
}

/**
 * Sentry's ingestion API on the ingest Worker (issue 13): a team switches from Sentry by pointing
 * its DSN at ingest. `POST /api/<project id>/envelope/` and the legacy `/store/`, with or
 * without the trailing slash, as Relay serves them. Every event goes through `ingestEvents` and
 * every session start through `recordSessions`, the same pipeline as `/v1/*`: nothing here
 * stores, scrubs, groups or limits on its own.
 *
 * CORS for any origin: a content script's requests carry its host page's origin, and
 * sentry-javascript reads `Retry-After` and `X-Sentry-Rate-Limits` only if they are exposed.
 */
export function registerSentryRoutes(app: Hono<{ Bindings: Env }>, keys: KeyIndex): void {
  app.use(
    '/api/*',
    cors({
      origin: '*',
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'content-encoding', 'x-sentry-auth', 'authorization'],
      exposeHeaders: ['retry-after', 'x-sentry-rate-limits'],
      maxAge: 86_400,
    }),
  );
  const answer = (handler: (c: SentryContext) => Promise<Response>) => (c: SentryContext) =>
    handler(c).catch(sentryErrorResponse);
  for (const path of ['/api/:projectId/envelope/', '/api/:projectId/envelope']) {
    app.post(
      path,
      answer((c) => handleEnvelope(c, keys)),
    );
  }
  for (const path of ['/api/:projectId/store/', '/api/:projectId/store']) {
    app.post(
      path,
      answer((c) => handleStore(c, keys)),
    );
  }
}

const randomEventId = () => crypto.randomUUID().replaceAll('-', '');

async function handleEnvelope(c: SentryContext, keys: KeyIndex): Promise<Response> {
  const projectId = projectIdOf(c);
  const key = requestKey(c);
  // A key in the headers or query is checked before the body is read; without one, the DSN in
  // the envelope header (an SDK behind a tunnel) is the only credential.
  let extension = key === undefined ? undefined : sentryExtension(c, keys, key, projectId);
  const parsed = parseSentryEnvelope(await readSentryBody(c.req.raw));
  if (!parsed.ok) {
    throw new IngestError(
      'invalid_request',
      parsed.problem === 'too_many_items' ? 'too many envelope items' : 'invalid event envelope',
    );
  }
  const { header, items } = parsed.envelope;
  if (extension === undefined) {
    const dsn = dsnKey(header.dsn);
    if (dsn !== undefined && dsn.projectId !== projectId) {
      throw new IngestError('unknown_key', 'the DSN does not name this project');
    }
    extension = sentryExtension(c, keys, dsn?.key, projectId);
  }

  const now = Date.now();
  const events: ConvertedEvent[] = [];
  const sessions: SentrySessionBatch[] = [];
  const dropped: Partial<Record<ClientReportReason, number>> = {};
  for (const item of items) {
    switch (item.type) {
      case 'event':
      case 'feedback': {
        if (events.length === INGEST_LIMITS.maxEvents) {
          throw new IngestError('invalid_request', 'too many events in one envelope');
        }
        const event = await convertEvent(item.payload, now, item.type);
        if (event !== null) events.push(event);
        break;
      }
      case 'session':
      case 'sessions': {
        const raw = parseSentryJson(item.payload);
        const result =
          item.type === 'session'
            ? await fromSentrySession(raw)
            : await fromSentrySessionAggregates(raw);
        // Updates, sessions without an extension version and malformed ones count nothing,
        // as Relay drops a session it cannot use without failing the envelope.
        if (result.ok) sessions.push(result);
        break;
      }
      case 'client_report': {
        for (const [reason, n] of Object.entries(
          tallyClientReport(parseSentryJson(item.payload)) ?? {},
        )) {
          const r = reason as ClientReportReason;
          dropped[r] = (dropped[r] ?? 0) + n;
        }
        break;
      }
      default:
        // Transactions, spans, replays, profiles, attachments, check-ins, logs, metrics and
        // legacy user reports are not errors: skipped, as Relay skips items it does not know.
        break;
    }
  }
  if (Object.keys(dropped).length) {
    // What the SDK dropped before sending (its rate-limit backoff, beforeSend, a full queue):
    // counts per closed reason and the extension's configured name, never client text.
    console.info('sentry ingest: client report', extension.name, JSON.stringify(dropped));
  }

  const limits = await ingest(c, extension, events, sessions);
  if (limits.size) return rateLimitedResponse(limits);
  const headerId = header.event_id?.replaceAll('-', '').toLowerCase();
  return acceptedResponse(
    headerId !== undefined && /^[0-9a-f]{32}$/.test(headerId) ? headerId : events[0]?.event.eventId,
  );
}

/** The legacy store endpoint: the body is one event, as old SDKs send it. */
async function handleStore(c: SentryContext, keys: KeyIndex): Promise<Response> {
  const extension = sentryExtension(c, keys, requestKey(c), projectIdOf(c));
  const event = await convertEvent(await readSentryBody(c.req.raw), Date.now(), 'event');
  if (event === null) return acceptedResponse(randomEventId());
  const limits = await ingest(c, extension, [event], []);
  if (limits.size) return rateLimitedResponse(limits);
  return acceptedResponse(event.event.eventId);
}

/**
 * One event payload converted; null for a valid event that holds no error (a bare
 * `captureEvent`), which is accepted and dropped as Relay would accept it.
 */
async function convertEvent(
  payload: Uint8Array,
  now: number,
  type: 'event' | 'feedback',
): Promise<ConvertedEvent | null> {
  const raw = parseSentryJson(payload);
  if (raw === undefined) throw new IngestError('invalid_json', 'event is not valid UTF-8 JSON');
  const result = await fromSentryEvent(raw, { now, fallbackId: randomEventId() });
  if (result.ok) return { ...result, category: type === 'feedback' ? 'feedback' : 'error' };
  if (result.reason === 'not_an_error') return null;
  throw new IngestError('invalid_request', 'event is not a Sentry event');
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

/**
 * Feeds the pipeline, one batch per install and version (one, for what sentry-javascript sends)
 * and returns the categories that were rate limited. Storage failures propagate (503).
 */
async function ingest(
  c: SentryContext,
  extension: ExtensionConfig,
  events: readonly ConvertedEvent[],
  sessions: readonly SentrySessionBatch[],
): Promise<SentryRateLimits> {
  const limits: SentryRateLimits = new Map();
  const clientAddress = c.req.header('cf-connecting-ip') ?? null;
  const rateLimited = (err: unknown): err is IngestError =>
    err instanceof IngestError && err.code === 'rate_limited';

  for (const group of groupBy(events, (e) => `${e.installId}\0${e.version}`)) {
    const [first] = group;
    if (first === undefined) continue;
    try {
      const outcome = await ingestEvents(c.env, {
        extension,
        installId: first.installId,
        version: first.version,
        events: group.map((e) => e.event),
        clientAddress,
      });
      outcome.statuses.forEach((status, i) => {
        const category = group[i]?.category;
        if (status === 'rate_limited' && category !== undefined) {
          limit(limits, category, outcome.retryAfterSeconds);
        }
      });
    } catch (err) {
      if (!rateLimited(err)) throw err;
      for (const e of group) limit(limits, e.category, err.retryAfterSeconds ?? 60);
    }
  }

  for (const group of groupBy(sessions, (s) => `${s.installId}\0${s.version}`)) {
    const [first] = group;
    const all = group.flatMap((s) => s.sessions);
    for (let i = 0; first !== undefined && i < all.length; i += INGEST_LIMITS.maxSessions) {
      try {
        await recordSessions(c.env, {
          extension,
          installId: first.installId,
          version: first.version,
          sessions: all.slice(i, i + INGEST_LIMITS.maxSessions),
          clientAddress,
        });
      } catch (err) {
        if (!rateLimited(err)) throw err;
        limit(limits, 'session', err.retryAfterSeconds ?? 60);
        break;
      }
    }
  }
  return limits;
}
