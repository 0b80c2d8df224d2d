import { z } from 'zod';
import type { Health, WorkerMode, WorkerName } from '../health.schema.ts';
import type { HomeostatEnv } from '../homeostat-env.schema.ts';
import { HOMEOSTAT_VERSION } from '../version.ts';

/** The part of D1's API that the health check uses; structural so shared needs no runtime types. */
export interface SqlFirst {
  prepare(query: string): { first(): Promise<unknown> };
}

const SchemaVersionRow = z.object({ value: z.coerce.number().int() });

/** Reads the version `D1-schema.sql` writes; `ok: false` when the database cannot be queried. */
export async function readDatabaseHealth(db: SqlFirst): Promise<Health['database']> {
  try {
    const row = await db
      .prepare("SELECT value FROM schema_meta WHERE key = 'schema_version'")
      .first();
    const parsed = SchemaVersionRow.safeParse(row);
    return { ok: true, schemaVersion: parsed.success ? parsed.data.value : null };
  } catch {
    return { ok: false, schemaVersion: null };
  }
}

/** A Worker secret counts only when it is set and non-empty; absence selects a credential-free mode. */
export function hasSecret(value: unknown): boolean {
  return typeof value === 'string' && value.trim().length > 0;
}

export interface HealthInput {
  name: WorkerName;
  mode: WorkerMode;
  homeostatEnv: HomeostatEnv;
  capabilities: Record<string, boolean>;
  db: SqlFirst;
}

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export async function healthResponse(input: HealthInput): Promise<Response> {
  const database = await readDatabaseHealth(input.db);
  const body: Health = {
    name: input.name,
    version: HOMEOSTAT_VERSION,
    mode: input.mode,
    env: input.homeostatEnv,
    capabilities: input.capabilities,
    database,
  };
  return Response.json(body, { status: database.ok ? 200 : 503 });
}
