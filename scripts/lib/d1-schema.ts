import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { unstable_splitSqlQuery } from 'wrangler';
import { REPO_ROOT } from './workers.ts';

export const D1_SCHEMA_PATH = path.join(REPO_ROOT, 'D1-schema.sql');

/**
 * `D1-schema.sql` as single statements, split by wrangler's own splitter (the one
 * `wrangler d1 execute --file` uses), so the local stack and the tests apply exactly what
 * production applies.
 */
export async function readSchemaStatements(): Promise<string[]> {
  return unstable_splitSqlQuery(await readFile(D1_SCHEMA_PATH, 'utf8'));
}
