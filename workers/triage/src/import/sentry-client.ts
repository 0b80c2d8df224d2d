import { type SentryApiEvent, SentryApiEventSchema } from '@homeostat/shared';
import type { z } from 'zod';
import {
  nextPageLink,
  type SentryApiIssue,
  SentryApiIssueListSchema,
  type SentryPageLink,
} from './sentry-api.schema.ts';

/**
 * The two calls of Sentry's REST API the importer makes (issue 13, item 2), with Sentry's rules:
 * - auth: `Authorization: Bearer <token>` (an internal integration or user token with
 *   `event:read`; docs.sentry.io/api/auth/);
 * - every call has a deadline (`AbortSignal.timeout`), and bodies are capped before parsing;
 * - rate limits (docs.sentry.io/api/ratelimits/): every answer carries
 *   `X-Sentry-Rate-Limit-Remaining` and `-Reset` (epoch seconds, when the window restarts); a
 *   429 carries them too and, from sentry.io, no `Retry-After` (src/sentry/middleware/
 *   ratelimit.py), so the wait is `Retry-After` when a proxy sent one, else the reset, else a
 *   minute. Self-hosted Sentry does not rate-limit its API and sends no such headers.
 * Failures are values with a closed reason and the time to try again, never exceptions.
 */

export const SENTRY_TIMEOUT_MS = 20_000;
/** Sentry stores events of up to 1 MiB; their API form adds little. Issue pages are smaller. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type SentryProblem =
  /** 429: wait for the window. */
  | 'rate_limited'
  /** 401/403: the token is missing a scope, revoked, or of another organization. */
  | 'unauthorized'
  /** 404: the organization, project or issue does not exist (an issue may have been deleted). */
  | 'not_found'
  /** 5xx, a timeout or a network failure. */
  | 'unavailable'
  /** 200 whose body is not what Sentry's description says, or too large. */
  | 'invalid_response';

export interface RateState {
  remaining: number | null;
  /** Epoch ms at which the window restarts. */
  resetAt: number | null;
}

export type SentryAnswer<T> =
  | { ok: true; data: T; next: SentryPageLink | null; rate: RateState }
  | { ok: false; problem: SentryProblem; retryAt: number };

export interface SentryClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

const WAIT_MS: Record<Exclude<SentryProblem, 'rate_limited'>, number> = {
  unauthorized: 60 * 60_000,
  not_found: 60 * 60_000,
  unavailable: 5 * 60_000,
  invalid_response: 15 * 60_000,
};

export class SentryClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  /** The last answer's status, to tell a refused search from other failures. */
  #lastStatus = 0;
  /** Set once the server refused `issue.category:`: a Sentry older than issue categories. */
  #legacySearch = false;
  #requests = 0;

  /** HTTP requests made so far (a refused search asked again counts twice). */
  get requests(): number {
    return this.#requests;
  }

  constructor(options: SentryClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? SENTRY_TIMEOUT_MS;
  }

  /**
   * One page of a project's unresolved error issues, most recently seen first. A self-hosted
   * Sentry that predates issue categories answers 400 to `issue.category:error`; it is asked
   * again without it (its issues are all errors; others are dropped by `issueCategory` anyway).
   */
  async unresolvedIssues(
    org: string,
    project: string,
    page: { cursor: string | null; limit: number; environment?: string },
  ): Promise<SentryAnswer<SentryApiIssue[]>> {
    const answer = await this.#listIssues(org, project, page);
    if (answer.ok || this.#lastStatus !== 400 || this.#legacySearch) return answer;
    this.#legacySearch = true;
    return this.#listIssues(org, project, page);
  }

  #listIssues(
    org: string,
    project: string,
    page: { cursor: string | null; limit: number; environment?: string },
  ): Promise<SentryAnswer<SentryApiIssue[]>> {
    const params = new URLSearchParams({
      project,
      query: this.#legacySearch ? 'is:unresolved' : 'is:unresolved issue.category:error',
      sort: 'date',
      limit: String(page.limit),
    });
    if (page.environment !== undefined) params.set('environment', page.environment);
    if (page.cursor !== null) params.set('cursor', page.cursor);
    return this.#get(
      `/api/0/organizations/${encodeURIComponent(org)}/issues/?${params}`,
      SentryApiIssueListSchema,
    );
  }

  /** The issue's most recent event ("Retrieve an Issue Event" with `latest`). */
  latestEvent(
    org: string,
    issueId: string,
    environment?: string,
  ): Promise<SentryAnswer<SentryApiEvent>> {
    const query = environment === undefined ? '' : `?${new URLSearchParams({ environment })}`;
    return this.#get(
      `/api/0/organizations/${encodeURIComponent(org)}/issues/${encodeURIComponent(issueId)}/events/latest/${query}`,
      SentryApiEventSchema,
    );
  }

  async #get<S extends z.ZodType>(path: string, schema: S): Promise<SentryAnswer<z.output<S>>> {
    let response: Response;
    this.#requests++;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      return this.#failure('unavailable');
    }
    const rate = rateState(response.headers);
    this.#lastStatus = response.status;
    if (response.status !== 200) {
      await response.body?.cancel();
      if (response.status === 429) {
        return {
          ok: false,
          problem: 'rate_limited',
          retryAt: this.#retryAt(response.headers, rate),
        };
      }
      if (response.status === 401 || response.status === 403) return this.#failure('unauthorized');
      if (response.status === 404) return this.#failure('not_found');
      return this.#failure(response.status >= 500 ? 'unavailable' : 'invalid_response');
    }
    let text: string | null;
    try {
      text = await readCapped(response, MAX_BODY_BYTES);
    } catch {
      return this.#failure('unavailable');
    }
    if (text === null) return this.#failure('invalid_response');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.#failure('invalid_response');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return this.#failure('invalid_response');
    return { ok: true, data: parsed.data, next: nextPageLink(response.headers.get('link')), rate };
  }

  #failure(problem: Exclude<SentryProblem, 'rate_limited'>): SentryAnswer<never> {
    return { ok: false, problem, retryAt: this.#now() + WAIT_MS[problem] };
  }

  #retryAt(headers: Headers, rate: RateState): number {
    const now = this.#now();
    const retryAfter = headers.get('retry-after');
    if (retryAfter !== null && /^\d{1,6}$/.test(retryAfter)) return now + Number(retryAfter) * 1000;
    if (rate.resetAt !== null && rate.resetAt > now) return rate.resetAt;
    return now + 60_000;
  }
}

function rateState(headers: Headers): RateState {
  const int = (name: string) => {
    const v = headers.get(name);
    return v !== null && /^\d{1,12}$/.test(v) ? Number(v) : null;
  };
  const reset = int('x-sentry-rate-limit-reset');
  return {
    remaining: int('x-sentry-rate-limit-remaining'),
    resetAt: reset === null ? null : reset * 1000,
  };
}

/** The body as text, or null when it exceeds `max` bytes (read no further than that). */
async function readCapped(response: Response, max: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel();
    return null;
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
