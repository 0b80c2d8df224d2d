import { z } from 'zod';

/** Seconds between a Durable Object's first unflushed change and its D1 flush. */
const FlushSecondsSchema = z.coerce.number().int().min(1).max(3_600);

export function flushIntervalMs(env: Env): number {
  const parsed = FlushSecondsSchema.safeParse(env.FLUSH_INTERVAL_SECONDS);
  return (parsed.success ? parsed.data : 10) * 1000;
}
