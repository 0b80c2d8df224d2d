import { z } from 'zod';

/**
 * The parts of a Sentry *REST API* event that the importer reads (issue 13, item 2): the answer of
 * `GET /api/0/organizations/{org}/issues/{issue_id}/events/latest/`, as described by Sentry's
 * published OpenAPI description (getsentry/sentry-api-schema, openapi-derefed.json, operation
 * "Retrieve an Issue Event"). This is not the ingest protocol's event (an envelope item, snake_case
 * `exception.values`): the API serializes the stored event into camelCase `entries` of typed
 * blocks, which the description leaves untyped (`entries: items: {}`), so their shapes here follow
 * the description's own example and Sentry's event serializers.
 *
 * Everything is optional or nullish where the API may omit it, and unknown keys are stripped: a
 * newer Sentry must still import. Sizes are capped by the importer before parsing (the body) and
 * by the conversion (each field), so nothing here limits lengths.
 */

const nullishString = z.string().nullish();
const nullishInt = z.number().int().nullish();

export const SentryApiFrameSchema = z.object({
  function: nullishString,
  absPath: nullishString,
  filename: nullishString,
  module: nullishString,
  lineNo: nullishInt,
  colNo: nullishInt,
  inApp: z.boolean().nullish(),
});
export type SentryApiFrame = z.infer<typeof SentryApiFrameSchema>;

const StacktraceSchema = z.object({ frames: z.array(SentryApiFrameSchema).nullish() }).nullish();

export const SentryApiExceptionSchema = z.object({
  type: nullishString,
  value: nullishString,
  module: nullishString,
  /** Frames oldest first, the crashing frame last (Sentry's order), after Sentry's processing. */
  stacktrace: StacktraceSchema,
  /** The frames as the SDK sent them (minified URLs), present when Sentry rewrote them. */
  rawStacktrace: StacktraceSchema,
  mechanism: z.object({ type: nullishString, handled: z.boolean().nullish() }).nullish(),
});
export type SentryApiException = z.infer<typeof SentryApiExceptionSchema>;

export const SentryApiExceptionEntrySchema = z.object({
  type: z.literal('exception'),
  /** Chained exceptions, oldest (the root cause) first and the one thrown last. */
  data: z.object({ values: z.array(SentryApiExceptionSchema).nullish() }),
});

export const SentryApiBreadcrumbSchema = z.object({
  category: nullishString,
  type: nullishString,
  level: nullishString,
  message: nullishString,
  timestamp: nullishString,
  data: z.record(z.string(), z.unknown()).nullish(),
});

export const SentryApiBreadcrumbsEntrySchema = z.object({
  type: z.literal('breadcrumbs'),
  data: z.object({ values: z.array(SentryApiBreadcrumbSchema).nullish() }),
});

export const SentryApiRequestEntrySchema = z.object({
  type: z.literal('request'),
  data: z.object({ url: nullishString }),
});

export const SentryApiEventSchema = z.object({
  id: z.string().min(1),
  /** The event id the SDK chose: 32 hex digits (develop.sentry.dev/sdk/data-model/event-payloads). */
  eventID: z.string().regex(/^[0-9a-fA-F]{32}$/),
  groupID: nullishString,
  type: z.string(),
  title: z.string(),
  message: nullishString,
  culprit: nullishString,
  platform: nullishString,
  dateCreated: z.iso.datetime({ offset: true }),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).nullish(),
  /** Typed blocks (`exception`, `breadcrumbs`, `request`, …); each is parsed on its own. */
  entries: z.array(z.unknown()),
  contexts: z.record(z.string(), z.unknown()).nullish(),
  /** Read only to derive an opaque install id and the client address; never copied. */
  user: z
    .object({
      id: nullishString,
      ip_address: nullishString,
      username: nullishString,
      email: nullishString,
    })
    .nullish(),
  release: z.object({ version: nullishString }).nullish(),
  sdk: z.object({ name: nullishString, version: nullishString }).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});
export type SentryApiEvent = z.infer<typeof SentryApiEventSchema>;
