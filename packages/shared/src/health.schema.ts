import { z } from 'zod';
import { HomeostatEnvSchema } from './homeostat-env.schema.ts';

export const WorkerNameSchema = z.enum(['ingest', 'triage', 'canary-monitor']);
export type WorkerName = z.infer<typeof WorkerNameSchema>;

/**
 * What each Worker can do with the credentials it has. `live` acts for real; `dry-run` (triage
 * without GitHub credentials) records every GitHub write instead of sending it; `observe`
 * (canary-monitor without store credentials) judges and records but calls nothing.
 */
export const WorkerModeSchema = z.enum(['live', 'dry-run', 'observe']);
export type WorkerMode = z.infer<typeof WorkerModeSchema>;

/** `GET /healthz` on every Worker. */
export const HealthSchema = z.object({
  name: WorkerNameSchema,
  version: z.string(),
  mode: WorkerModeSchema,
  env: HomeostatEnvSchema,
  /** Capabilities that depend on optional secrets, each on or off, e.g. `{ github: false }`. */
  capabilities: z.record(z.string(), z.boolean()),
  database: z.object({ ok: z.boolean(), schemaVersion: z.number().int().nullable() }),
});
export type Health = z.infer<typeof HealthSchema>;
