import {
  convertSentryApiEvent,
  type HomeostatConfig,
  type ImportBatch,
  ImportBatchResultSchema,
  type ImportedSentryEvent,
  INGEST_LIMITS,
  type SentrySourceConfig,
} from '@homeostat/shared';
import type { SentryApiIssue } from './sentry-api.schema.ts';
import { SentryClient } from './sentry-client.ts';
import { SentryImportStore, sourceKey } from './sentry-import-store.ts';

/**
 * The Sentry importer (issue 13, item 2), run on triage's cron: for each `sources.sentry` entry,
 * page through the project's unresolved error issues (most recently seen first) and feed each
 * issue's latest event into ingest's one pipeline, where it is scrubbed, fingerprinted, limited
 * and grouped like any event. Its id stays Sentry's event id, so whatever is sent twice comes
 * back `duplicate`.
 *
 * Resumable and polite: the page cursor lives in D1 and advances only once every issue of the
 * page is handled; an issue whose `lastSeen` was imported already is not fetched again; at most
 * `maxIssuesPerRun` events are fetched per tick; Sentry's rate limit (a 429, or a window whose
 * remaining count reached 0) and ingest's (`rate_limited` results) pause the source until they
 * reset; every call has a deadline. A lease keeps two ticks off the same source.
 */

export type ImportOutcome =
  /** The last page was read: the next tick starts a new pass from the most recent issues. */
  | 'pass_complete'
  /** The tick's budget (events or time) ran out; the next tick resumes at the same page. */
  | 'partial'
  /** The named secret is not set: nothing to do. */
  | 'no_token'
  /** Not run: waiting out a rate limit or failure (`waiting`), or another tick has it (`busy`). */
  | 'waiting'
  | 'busy'
  /** Sentry's answers (see SentryProblem). */
  | 'rate_limited'
  | 'unauthorized'
  | 'not_found'
  | 'unavailable'
  | 'invalid_response'
  /** Ingest's answers: over its limits, unreachable, or refusing the batch (config mismatch). */
  | 'ingest_limited'
  | 'ingest_unavailable'
  | 'ingest_refused'
  /** An exception (D1, the binding): recorded, retried after a pause, and rethrown. */
  | 'failed';

export interface SourceReport {
  source: string;
  outcome: ImportOutcome;
  /** Events ingest took as `new` or `known` this tick (duplicates not counted). */
  imported: number;
  /** Calls to Sentry's API this tick. */
  requests: number;
}

/** Ingest's `IngestRpc` as the importer calls it (a service binding in production). */
export interface ImportSink {
  ingestImported(batch: ImportBatch): Promise<unknown>;
}

export interface SentryImportDeps {
  db: D1Database;
  config: HomeostatConfig;
  /** A Worker secret by name (`sources.sentry[].tokenSecret`). */
  secret: (name: string) => string | undefined;
  ingest: ImportSink;
  fetch?: typeof fetch;
  now: () => number;
  timeoutMs?: number;
}

/** Longer than one tick may run (TIME_BUDGET_MS plus one call's timeout per request in flight). */
const LEASE_MS = 9 * 60_000;
/** No new call is started after this long: a cron invocation should end well before the next. */
const TIME_BUDGET_MS = 4 * 60_000;
const MAX_PAGES_PER_TICK = 10;
const INGEST_REFUSED_WAIT_MS = 60 * 60_000;
const FAILED_WAIT_MS = 5 * 60_000;

export async function importSentryIssues(deps: SentryImportDeps): Promise<SourceReport[]> {
  const reports: SourceReport[] = [];
  let firstError: unknown;
  for (const source of deps.config.sources.sentry) {
    try {
      reports.push(await importSource(deps, source));
    } catch (err) {
      firstError ??= err;
      reports.push({ source: sourceKey(source), outcome: 'failed', imported: 0, requests: 0 });
    }
  }
  if (firstError !== undefined) throw firstError;
  return reports;
}

interface Tick {
  cursor: string | null;
  outcome: ImportOutcome;
  resumeAfter: number;
  imported: number;
  requests: number;
}

async function importSource(
  deps: SentryImportDeps,
  source: SentrySourceConfig,
): Promise<SourceReport> {
  const key = sourceKey(source);
  const token = deps.secret(source.tokenSecret);
  if (!token) return { source: key, outcome: 'no_token', imported: 0, requests: 0 };
  const store = new SentryImportStore(deps.db);
  const claim = await store.claim(key, deps.now(), LEASE_MS);
  if (!claim.claimed) return { source: key, outcome: claim.reason, imported: 0, requests: 0 };

  const tick: Tick = {
    cursor: claim.cursor,
    outcome: 'partial',
    resumeAfter: 0,
    imported: 0,
    requests: 0,
  };
  try {
    await runPages(deps, source, key, store, tick);
  } catch (err) {
    tick.outcome = 'failed';
    tick.resumeAfter = deps.now() + FAILED_WAIT_MS;
    throw err;
  } finally {
    await store.release(key, deps.now(), tick);
  }
  return { source: key, outcome: tick.outcome, imported: tick.imported, requests: tick.requests };
}

interface Fetched {
  issue: SentryApiIssue & { lastSeen: string };
  value: ImportedSentryEvent;
}

async function runPages(
  deps: SentryImportDeps,
  source: SentrySourceConfig,
  key: string,
  store: SentryImportStore,
  tick: Tick,
): Promise<void> {
  const client = new SentryClient({
    baseUrl: source.baseUrl,
    token: deps.secret(source.tokenSecret) ?? '',
    now: deps.now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
  });
  const deadline = deps.now() + TIME_BUDGET_MS;
  const stop = (outcome: ImportOutcome, resumeAfter: number) => {
    tick.outcome = outcome;
    tick.resumeAfter = resumeAfter;
  };
  let fetched = 0;
  for (let page = 0; page < MAX_PAGES_PER_TICK; page++) {
    if (deps.now() > deadline) return stop('partial', 0);
    const list = await client.unresolvedIssues(source.org, source.project, {
      cursor: tick.cursor,
      limit: Math.min(100, source.maxIssuesPerRun),
      ...(source.environment ? { environment: source.environment } : {}),
    });
    tick.requests = client.requests;
    if (!list.ok) return stop(list.problem, list.retryAt);

    const seen = await store.seen(
      key,
      list.data.map((i) => i.id),
    );
    const todo = list.data.filter(
      (i): i is Fetched['issue'] =>
        i.lastSeen !== null &&
        seen.get(i.id) !== i.lastSeen &&
        (i.issueCategory === undefined || i.issueCategory === 'error'),
    );
    const done: { issueId: string; lastSeen: string; eventId: string }[] = [];
    const fetchedEvents: Fetched[] = [];
    let complete = true;
    for (const issue of todo) {
      if (fetched >= source.maxIssuesPerRun || deps.now() > deadline) {
        complete = false;
        stop('partial', 0);
        break;
      }
      const answer = await client.latestEvent(source.org, issue.id, source.environment);
      tick.requests = client.requests;
      fetched++;
      if (!answer.ok) {
        // Deleted or merged since the list was read: nothing to import, and the next pass will
        // not list it again. Anything else pauses the source with the page still to finish.
        if (answer.problem === 'not_found') continue;
        complete = false;
        stop(answer.problem, answer.retryAt);
        break;
      }
      const converted = await convertSentryApiEvent(
        answer.data,
        {
          org: source.org,
          project: source.project,
          issueId: issue.id,
          shortId: issue.shortId,
          permalink: issue.permalink,
        },
        deps.now(),
      );
      if (converted.ok) fetchedEvents.push({ issue, value: converted.value });
      else done.push({ issueId: issue.id, lastSeen: issue.lastSeen, eventId: answer.data.eventID });
      if (exhausted(answer.rate, deps.now())) {
        complete = false;
        stop('rate_limited', answer.rate.resetAt ?? deps.now() + 60_000);
        break;
      }
    }

    const fed = await feed(deps, source, fetchedEvents, tick);
    done.push(...fed.done);
    await store.markImported(key, deps.now(), done);
    if (fed.stop !== null) return stop(fed.stop.outcome, fed.stop.resumeAfter);
    if (!complete) return;

    if (list.next === null || !list.next.results) {
      tick.cursor = null;
      return stop('pass_complete', 0);
    }
    tick.cursor = list.next.cursor;
    if (exhausted(list.rate, deps.now())) {
      return stop('rate_limited', list.rate.resetAt ?? deps.now() + 60_000);
    }
  }
  stop('partial', 0);
}

function exhausted(rate: { remaining: number | null; resetAt: number | null }, now: number) {
  return rate.remaining === 0 && rate.resetAt !== null && rate.resetAt > now;
}

/** Sends the events in batches of ingest's size; what ingest took counts as done. */
async function feed(
  deps: SentryImportDeps,
  source: SentrySourceConfig,
  events: readonly Fetched[],
  tick: Tick,
): Promise<{
  done: { issueId: string; lastSeen: string; eventId: string }[];
  stop: { outcome: ImportOutcome; resumeAfter: number } | null;
}> {
  const done: { issueId: string; lastSeen: string; eventId: string }[] = [];
  for (let start = 0; start < events.length; start += INGEST_LIMITS.maxEvents) {
    const chunk = events.slice(start, start + INGEST_LIMITS.maxEvents);
    const answer = ImportBatchResultSchema.safeParse(
      await deps.ingest.ingestImported({
        extensionId: source.extension,
        events: chunk.map(({ value }) => ({
          installId: value.installId,
          version: value.version,
          clientAddress: value.clientAddress,
          event: value.event,
        })),
      }),
    );
    const now = deps.now();
    if (!answer.success) {
      return {
        done,
        stop: { outcome: 'ingest_refused', resumeAfter: now + INGEST_REFUSED_WAIT_MS },
      };
    }
    const result = answer.data;
    if (result.status === 'unavailable') {
      return {
        done,
        stop: { outcome: 'ingest_unavailable', resumeAfter: now + result.retryAfterSeconds * 1000 },
      };
    }
    if (result.status !== 'ok') {
      return {
        done,
        stop: { outcome: 'ingest_refused', resumeAfter: now + INGEST_REFUSED_WAIT_MS },
      };
    }
    let limited = false;
    chunk.forEach(({ issue, value }, i) => {
      const status = result.results[i]?.status ?? 'rate_limited';
      if (status === 'rate_limited') {
        limited = true;
        return;
      }
      if (status !== 'duplicate') tick.imported++;
      done.push({ issueId: issue.id, lastSeen: issue.lastSeen, eventId: value.event.eventId });
    });
    if (limited) {
      return {
        done,
        stop: {
          outcome: 'ingest_limited',
          resumeAfter: now + Math.max(1, result.retryAfterSeconds) * 1000,
        },
      };
    }
  }
  return { done, stop: null };
}
