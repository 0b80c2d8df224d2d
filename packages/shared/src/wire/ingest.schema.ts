import { z } from 'zod';
import { isVersion } from '../version/compare-versions.ts';

/**
 * The ingest wire contract (docs/api.md#post-v1events and #post-v1sessions).
 * Every field has a size limit so that one request's cost is bounded before any work is done;
 * the body as a whole is capped at `INGEST_LIMITS.maxBodyBytes` before it is parsed at all.
 * Unknown fields are stripped rather than rejected, so an SDK newer than the server still reports.
 */
export const INGEST_LIMITS = {
  maxBodyBytes: 256 * 1024,
  maxEvents: 50,
  maxSessions: 100,
  type: 200,
  message: 8 * 1024,
  stack: 32 * 1024,
  breadcrumbs: 100,
  breadcrumbMessage: 1024,
  breadcrumbCategory: 64,
  tags: 50,
  tagKey: 64,
  tagValue: 256,
  /** JSON-serialised size of `context` and of each breadcrumb's `data`. */
  contextBytes: 16 * 1024,
  breadcrumbDataBytes: 2 * 1024,
  userReport: 4 * 1024,
} as const;

/**
 * Release health is reported by clients, so it is untrusted (issue 11, item 2): ingest counts at
 * most this many sessions (and error sessions) per install per 5-minute window into the
 * aggregates, and the canary judge acts only on a decision that survives removing one install's
 * whole contribution.
 */
export const RELEASE_HEALTH_LIMITS = {
  maxSessionsPerInstallPerWindow: 12,
} as const;

export const SURFACES = [
  'background',
  'popup',
  'options',
  'content',
  'sidepanel',
  'devtools',
  'offscreen',
  'page',
  'unknown',
  /** An end-to-end test run in CI (`POST /v1/test-failures`, issue 13), not an install. */
  'test',
] as const;
export const SurfaceSchema = z.enum(SURFACES);
export type Surface = z.infer<typeof SurfaceSchema>;

/** Random ids made by the SDK (event, session, install): opaque, bounded, URL- and name-safe. */
const OpaqueIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,128}$/, 'must be 8-128 of A-Z a-z 0-9 _ -');

/**
 * Chrome's extension version: one to four dot-separated integers, each 0–65535
 * (developer.chrome.com/docs/extensions/reference/manifest/version).
 */
export const ExtensionVersionSchema = z
  .string()
  .max(23)
  .refine(isVersion, 'must be 1-4 dot-separated integers, each at most 65535');

/** Milliseconds since the epoch or an ISO 8601 timestamp; normalised to epoch milliseconds. */
export const TimestampSchema = z
  .union([z.number().int().min(0).max(8.64e15), z.iso.datetime({ offset: true })])
  .transform((t) => (typeof t === 'number' ? t : Date.parse(t)));

function jsonBytesAtMost(limit: number) {
  return (value: unknown) => {
    try {
      return new TextEncoder().encode(JSON.stringify(value)).byteLength <= limit;
    } catch {
      return false;
    }
  };
}

const BreadcrumbSchema = z.object({
  timestamp: TimestampSchema,
  /** Free text from the client: `scrubEvent` scrubs it and keeps it to `[\w.-]` (issue 11). */
  category: z.string().min(1).max(INGEST_LIMITS.breadcrumbCategory),
  message: z.string().max(INGEST_LIMITS.breadcrumbMessage).optional(),
  level: z.enum(['debug', 'info', 'warning', 'error']).optional(),
  data: z
    .record(z.string().max(INGEST_LIMITS.tagKey), z.unknown())
    .refine(jsonBytesAtMost(INGEST_LIMITS.breadcrumbDataBytes), 'is too large')
    .optional(),
});
export type Breadcrumb = z.infer<typeof BreadcrumbSchema>;

export const IngestEventSchema = z.object({
  eventId: OpaqueIdSchema,
  timestamp: TimestampSchema,
  surface: SurfaceSchema,
  sessionId: OpaqueIdSchema.optional(),
  error: z.object({
    type: z.string().min(1).max(INGEST_LIMITS.type),
    message: z.string().max(INGEST_LIMITS.message),
    stack: z.string().max(INGEST_LIMITS.stack).optional(),
  }),
  breadcrumbs: z.array(BreadcrumbSchema).max(INGEST_LIMITS.breadcrumbs).optional(),
  tags: z
    .record(z.string().min(1).max(INGEST_LIMITS.tagKey), z.string().max(INGEST_LIMITS.tagValue))
    .refine((t) => Object.keys(t).length <= INGEST_LIMITS.tags, 'has too many entries')
    .optional(),
  context: z
    .record(z.string().max(INGEST_LIMITS.tagKey), z.unknown())
    .refine(jsonBytesAtMost(INGEST_LIMITS.contextBytes), 'is too large')
    .optional(),
  userReport: z.object({ description: z.string().max(INGEST_LIMITS.userReport) }).optional(),
  /** Advisory: the server recomputes it with the same shared code. */
  fingerprint: z.string().max(128).optional(),
});
export type IngestEvent = z.infer<typeof IngestEventSchema>;
export type IngestEventInput = z.input<typeof IngestEventSchema>;

const EnvelopeShape = {
  sdk: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(32) }),
  extension: z.object({
    /**
     * The running id: unpacked and store builds of one extension differ
     * (docs/architecture.md#chrome-field-notes).
     */
    id: z.string().regex(/^[A-Za-z0-9@._{}-]{1,64}$/, 'must be an extension id'),
    version: ExtensionVersionSchema,
  }),
  /** A random per-install id, never a user identity; hashed before it is stored or used. */
  install: z.object({ id: OpaqueIdSchema }),
};

export const EventsRequestSchema = z.object({
  ...EnvelopeShape,
  events: z.array(IngestEventSchema).min(1).max(INGEST_LIMITS.maxEvents),
});
export type EventsRequest = z.infer<typeof EventsRequestSchema>;
export type EventsRequestInput = z.input<typeof EventsRequestSchema>;

export const SessionsRequestSchema = z.object({
  ...EnvelopeShape,
  sessions: z
    .array(z.object({ sessionId: OpaqueIdSchema, startedAt: TimestampSchema }))
    .min(1)
    .max(INGEST_LIMITS.maxSessions),
});
export type SessionsRequest = z.infer<typeof SessionsRequestSchema>;
export type SessionsRequestInput = z.input<typeof SessionsRequestSchema>;

export const EventStatusSchema = z.enum(['new', 'known', 'duplicate', 'rate_limited']);
export type EventStatus = z.infer<typeof EventStatusSchema>;

export const EventsResponseSchema = z.object({
  accepted: z.number().int().min(0),
  results: z.array(
    z.object({
      eventId: z.string(),
      fingerprint: z.string().nullable(),
      status: EventStatusSchema,
    }),
  ),
});
export type EventsResponse = z.infer<typeof EventsResponseSchema>;

export const SessionsResponseSchema = z.object({ accepted: z.number().int().min(0) });

/** `400` body: issue paths and codes only, never the offending input. */
export const ValidationErrorBodySchema = z.object({
  error: z.object({
    code: z.literal('invalid_request'),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), code: z.string() })),
  }),
});
