import { z } from 'zod';

/**
 * The parts of Sentry's event, session and client-report payloads that Homeostat reads
 * (develop.sentry.dev/sdk/data-model/event-payloads/, …/sessions/, …/client-reports/). Like
 * Relay, which drops an invalid field and keeps the event, every optional field falls back to
 * `undefined` when it has the wrong shape: one odd field from some SDK must not lose an error.
 * Unknown fields are stripped. Strings are cut to the ingest limits by the conversion, not here:
 * the request body is already capped (`SENTRY_LIMITS.maxBodyBytes`).
 */
const opt = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** Seconds since the epoch (fractional), or an RFC 3339 string; normalised to milliseconds. */
export const SentryTimestampSchema = z
  .union([z.number().min(0).max(8.64e12), z.string().max(64)])
  .transform((t, ctx) => {
    const ms = typeof t === 'number' ? Math.round(t * 1000) : Date.parse(t);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'is not a timestamp' });
      return z.NEVER;
    }
    return ms;
  });

const FrameSchema = z.object({
  filename: opt(z.string()),
  abs_path: opt(z.string()),
  function: opt(z.string()),
  lineno: opt(z.number()),
  colno: opt(z.number()),
});
export type SentryFrame = z.infer<typeof FrameSchema>;

const StacktraceSchema = z.object({ frames: opt(z.array(FrameSchema)) });

const ExceptionSchema = z.object({
  type: opt(z.string()),
  value: opt(z.string()),
  stacktrace: opt(StacktraceSchema),
  mechanism: opt(
    z.object({
      type: opt(z.string()),
      handled: opt(z.boolean()),
      synthetic: opt(z.boolean()),
    }),
  ),
});
export type SentryException = z.infer<typeof ExceptionSchema>;

/** Sentry's "values" interfaces may be sent as `{ values: [...] }` or as the bare array. */
const values = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), z.object({ values: z.array(item) })])
    .transform((v) => (Array.isArray(v) ? v : v.values));

const BreadcrumbSchema = z.object({
  timestamp: opt(SentryTimestampSchema),
  type: opt(z.string()),
  category: opt(z.string()),
  message: opt(z.string()),
  level: opt(z.string()),
  data: opt(z.record(z.string(), z.unknown())),
});
export type SentryBreadcrumb = z.infer<typeof BreadcrumbSchema>;

const LogEntrySchema = z.object({ formatted: opt(z.string()), message: opt(z.string()) });

/** The user's id only: email, username and IP address are personal data and never read. */
const UserSchema = z.object({ id: opt(z.union([z.string(), z.number()])) });

export const SentryEventSchema = z.object({
  event_id: opt(z.string()),
  /** `feedback` for user feedback; absent for errors and messages. */
  type: opt(z.string()),
  timestamp: opt(SentryTimestampSchema),
  level: opt(z.string()),
  release: opt(z.string()),
  environment: opt(z.string()),
  message: opt(z.union([z.string(), LogEntrySchema])),
  logentry: opt(LogEntrySchema),
  exception: opt(values(ExceptionSchema)),
  /** A message's stack, with `attachStacktrace`. */
  stacktrace: opt(StacktraceSchema),
  breadcrumbs: opt(values(BreadcrumbSchema)),
  /** An object, or the `[key, value]` pairs some SDKs send. */
  tags: opt(
    z.union([z.record(z.string(), z.unknown()), z.array(z.tuple([z.string(), z.unknown()]))]),
  ),
  contexts: opt(z.record(z.string(), z.unknown())),
  extra: opt(z.record(z.string(), z.unknown())),
  user: opt(UserSchema),
  request: opt(z.object({ url: opt(z.string()) })),
  sdk: opt(z.object({ name: opt(z.string()), version: opt(z.string()) })),
});
export type SentryEvent = z.infer<typeof SentryEventSchema>;

const SessionAttrsSchema = z.object({
  release: z.string().min(1),
  environment: opt(z.string()),
});

/** A `session` item: one session's start (`init: true`) or one of its updates. */
export const SentrySessionSchema = z.object({
  sid: z.string().min(1).max(64),
  did: opt(z.union([z.string(), z.number()])),
  init: opt(z.boolean()),
  started: SentryTimestampSchema,
  status: opt(z.string()),
  errors: opt(z.number()),
  attrs: SessionAttrsSchema,
});
export type SentrySession = z.infer<typeof SentrySessionSchema>;

const count = opt(z.int().min(0)).transform((n) => n ?? 0);

/** A `sessions` item: session counts per minute, as server-side SDKs aggregate them. */
export const SentrySessionAggregatesSchema = z.object({
  aggregates: z
    .array(
      z.object({
        started: SentryTimestampSchema,
        did: opt(z.union([z.string(), z.number()])),
        exited: count,
        errored: count,
        abnormal: count,
        crashed: count,
      }),
    )
    .max(1_000),
  attrs: SessionAttrsSchema,
});
export type SentrySessionAggregates = z.infer<typeof SentrySessionAggregatesSchema>;

/** What the SDK itself dropped, by reason and data category (develop.sentry.dev client reports). */
export const SentryClientReportSchema = z.object({
  discarded_events: z
    .array(
      z.object({
        reason: z.string().min(1).max(64),
        category: z.string().min(1).max(64),
        quantity: z.int().min(0).max(1e9),
      }),
    )
    .max(1_000)
    .default([]),
});
