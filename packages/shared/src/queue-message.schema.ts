import { z } from 'zod';

/**
 * The ingest → triage queue message (architecture.md, "Queue message"). Versioned by `v`: a
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
