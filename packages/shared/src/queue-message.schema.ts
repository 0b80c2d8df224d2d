import { z } from 'zod';

/**
 * The ingest → triage queue message (docs/architecture.md#queue-messages). Versioned by `v`: a
 * consumer that meets a version it does not know must not guess at its meaning.
 */
export const TriageQueueMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('fingerprint'),
  fingerprintId: z.string().min(1).max(128),
  extensionId: z.string().min(1).max(64),
  reason: z.enum(['new', 'threshold', 'regression', 'retry', 'manual']),
  at: z.iso.datetime(),
});
export type TriageQueueMessage = z.infer<typeof TriageQueueMessageSchema>;

/**
 * The triage → fixer queue message (docs/architecture.md#the-fixer; issue 10, item 1). `attempt` is
 * the 1-based attempt number the message asks for: the consumer starts exactly that attempt or
 * acknowledges the message as stale, so a redelivery can never start a second one. `feedback` is
 * the scrubbed, size-capped summary of the previous attempt's failed checks (item 4).
 */
export const FixQueueMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('fix'),
  fingerprintId: z.string().min(1).max(128),
  extensionId: z.string().min(1).max(64),
  attempt: z.int().min(1).max(20),
  feedback: z.string().max(8_192).optional(),
});
export type FixQueueMessage = z.infer<typeof FixQueueMessageSchema>;
