import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Test files share one workerd isolate and its D1 (`isolate: false` in worker-project.ts: 7x
// faster than a fresh isolate per file), so every file starts by emptying the tables the previous
// file wrote: each file still sees a fresh database. The migration bookkeeping and schema_meta
// stay, as they would in a database that was just migrated.
const KEEP = new Set(['d1_migrations', 'schema_meta', '_cf_METADATA', '_cf_KV']);
const tables = await env.DB.prepare(
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
).all<{ name: string }>();
const wipe = tables.results
  .filter((t) => !KEEP.has(t.name))
  .map((t) => env.DB.prepare(`DELETE FROM "${t.name.replace(/"/g, '""')}"`));
const hasSequence = await env.DB.prepare(
  "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'",
).first();
if (hasSequence !== null) wipe.push(env.DB.prepare('DELETE FROM sqlite_sequence'));
// Child rows go with their parents in one batch; D1's way to let the order not matter.
if (wipe.length > 0)
  await env.DB.batch([env.DB.prepare('PRAGMA defer_foreign_keys = on'), ...wipe]);

// migrations/*.sql, recorded in d1_migrations as `wrangler d1 migrations apply` records them in
// production (issue 12, section 3): the tests' schema is the deployed one.
await applyD1Migrations(env.DB, env.TEST_D1_MIGRATIONS);
