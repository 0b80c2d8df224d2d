import { EventsRequestSchema, SessionsRequestSchema } from '@homeostat/shared';
import type { IngestEvent } from '../../src/types.ts';

export interface Recorded {
  /** Date.now() when sent (fake time under fake timers). */
  at: number;
  url: string;
  path: '/v1/events' | '/v1/sessions';
  headers: Record<string, string>;
  keepalive: boolean;
  body: Record<string, unknown> & {
    events?: IngestEvent[];
    sessions?: { sessionId: string; startedAt: number }[];
  };
}

/** A scripted answer: a status with headers, or a network failure, or one that never comes. */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | 'network-error'
  | 'hang'
  | ((req: Recorded) => Reply);

/**
 * An injected `fetch` standing in for the ingest Worker. Every request is checked against the
 * real wire schemas (so the SDK cannot drift from the contract) and recorded; answers come from
 * `script` (events) or `sessionScript` in order, then the default: 202 with every event `new`.
 */
export function createFakeIngest() {
  const requests: Recorded[] = [];
  /** Answers to `/v1/events`, in order. */
  const script: Reply[] = [];
  /** Answers to `/v1/sessions`, in order. */
  const sessionScript: Reply[] = [];
  const invalid: string[] = [];

  const respond = (reply: Reply, req: Recorded): Promise<Response> => {
    if (typeof reply === 'function') return respond(reply(req), req);
    if (reply === 'network-error') return Promise.reject(new TypeError('Failed to fetch'));
    if (reply === 'hang') return new Promise(() => {});
    return Promise.resolve(
      new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
        status: reply.status,
        headers: { 'content-type': 'application/json', ...reply.headers },
      }),
    );
  };

  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const path = new URL(url).pathname as Recorded['path'];
    const body = JSON.parse(String(init?.body));
    const schema = path === '/v1/events' ? EventsRequestSchema : SessionsRequestSchema;
    const parsed = schema.safeParse(body);
    if (!parsed.success) invalid.push(`${path}: ${JSON.stringify(parsed.error.issues)}`);
    const req: Recorded = {
      at: Date.now(),
      url,
      path,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      keepalive: init?.keepalive === true,
      body,
    };
    requests.push(req);
    const scripted = (path === '/v1/events' ? script : sessionScript).shift();
    if (scripted) return respond(scripted, req);
    const events = body.events as IngestEvent[] | undefined;
    return respond(
      {
        status: 202,
        body: events
          ? {
              accepted: events.length,
              results: events.map((e) => ({
                eventId: e.eventId,
                fingerprint: null,
                status: 'new',
              })),
            }
          : { accepted: 1 },
      },
      req,
    );
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    script,
    sessionScript,
    invalid,
    /** Every event posted, in order. */
    events: () => requests.flatMap((r) => (r.path === '/v1/events' ? (r.body.events ?? []) : [])),
    eventRequests: () => requests.filter((r) => r.path === '/v1/events'),
    sessions: () => requests.flatMap((r) => r.body.sessions ?? []),
    sessionRequests: () => requests.filter((r) => r.path === '/v1/sessions'),
  };
}

export type FakeIngest = ReturnType<typeof createFakeIngest>;
