import { EventsRequestSchema, type EventsResponse, type ExtensionConfig } from '@homeostat/shared';
import type { Context } from 'hono';
import { ingestEvents } from './ingest-pipeline.ts';
import { readJsonBody } from './json-body.ts';

/** `POST /v1/events`: Homeostat's own SDK's door into the one event pipeline. */
export async function handleEvents(c: Context<{ Bindings: Env }>, extension: ExtensionConfig) {
  const body = await readJsonBody(c, EventsRequestSchema);
  const outcome = await ingestEvents(c.env, {
    extension,
    installId: body.install.id,
    version: body.extension.version,
    events: body.events,
    clientAddress: c.req.header('cf-connecting-ip') ?? null,
  });
  const response: EventsResponse = {
    accepted: outcome.statuses.filter((s) => s !== 'rate_limited').length,
    results: body.events.map((e, i) => ({
      eventId: e.eventId,
      fingerprint: outcome.fingerprints[i] ?? null,
      status: outcome.statuses[i] ?? 'rate_limited',
    })),
  };
  if (outcome.admitted < body.events.length) {
    c.header('retry-after', String(outcome.retryAfterSeconds));
  }
  return c.json(response, 202);
}
