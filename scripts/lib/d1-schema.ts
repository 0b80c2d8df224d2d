import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './workers.ts';

/**
 * The D1 schema as migrations (issue 12, section 3). `migrations/*.sql` is what production gets
 * through `wrangler d1 migrations apply`; the test setup, `npm start` and `npm run db:apply` apply
 * the same files the same way, recorded in the same `d1_migrations` table. `D1-schema.sql` is
 * generated from them (`npm run db:schema`) so the whole schema stays readable in one file.
 */

export const D1_SCHEMA_PATH = path.join(REPO_ROOT, 'D1-schema.sql');
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'migrations');
/** wrangler's default `migrations_table`; also what @cloudflare/vitest-plugin's applyD1Migrations uses. */
export const MIGRATIONS_TABLE = 'd1_migrations';
export const INITIAL_MIGRATION = '0001_initial.sql';
/**
 * A line of 0001 that says it has not reached production yet: while it is there, edits appended
 * to D1-schema.sql may still be folded into 0001 (`--from-schema`); `--seal` removes it, and
 * `npm run deploy` refuses to run before that, so an applied 0001 is never rewritten.
 */
export const PRE_DEPLOY_MARKER =
  '-- homeostat:pre-deploy (`npm run db:schema -- --seal` removes this line before the first deploy)';

export const SCHEMA_HEADER = `-- Homeostat's full D1 schema, GENERATED from migrations/*.sql by \`npm run db:schema\`; CI checks
-- it with \`npm run db:schema -- --check\`. Read the schema here; change it with a new numbered file
-- in migrations/ (see migrations/README.md). Production, \`npm run db:apply\`, \`npm start\` and the
-- tests apply the migrations themselves and record them in wrangler's d1_migrations table.
`;

/** The line that opens each migration's text in D1-schema.sql. */
export function migrationBanner(name: string): string {
  return `-- ==== migrations/${name} ====`;
}

export interface MigrationFile {
  name: string;
  sql: string;
}

/** The shape of `@cloudflare/vitest-plugin`'s D1Migration: one file split into statements. */
// A type, not an interface: it travels as a JSON binding, and Miniflare's Json type needs that.
export type D1Migration = {
  name: string;
  queries: string[];
};

/** `migrations/*.sql` in wrangler's order (by name: the 4-digit prefix makes it numeric). */
export async function readMigrationFiles(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, sql: await readFile(path.join(dir, name), 'utf8') })),
  );
}

/** D1-schema.sql as generated from the migrations. */
export function renderSchema(files: readonly MigrationFile[]): string {
  const parts = files.map((f) => `${migrationBanner(f.name)}\n${f.sql.replace(/\n*$/, '\n')}`);
  return `${SCHEMA_HEADER}\n${parts.join('\n')}`;
}

/**
 * 0001's text as D1-schema.sql now has it: everything after 0001's banner, including tables other
 * work appended at the end of the file. Only meaningful while 0001 is the one migration.
 */
export function initialFromSchema(schemaText: string): string {
  const banner = `${migrationBanner(INITIAL_MIGRATION)}\n`;
  const at = schemaText.indexOf(banner);
  if (at < 0) throw new Error(`D1-schema.sql has no line "${banner.trim()}"`);
  return schemaText.slice(at + banner.length).replace(/\n*$/, '\n');
}

export function isPreDeploy(files: readonly MigrationFile[]): boolean {
  const [only, ...rest] = files;
  return (
    rest.length === 0 &&
    only?.name === INITIAL_MIGRATION &&
    only.sql.split('\n').includes(PRE_DEPLOY_MARKER)
  );
}

/** wrangler's own SQL splitter (what `d1 migrations apply` uses), loaded only when needed: importing wrangler takes a second. */
async function splitSql(sql: string): Promise<string[]> {
  const { unstable_splitSqlQuery } = await import('wrangler');
  return unstable_splitSqlQuery(sql);
}

export async function toD1Migrations(files: readonly MigrationFile[]): Promise<D1Migration[]> {
  return Promise.all(files.map(async (f) => ({ name: f.name, queries: await splitSql(f.sql) })));
}

let warned = false;

/**
 * The migrations the tests and the local stack apply. Before the first deploy only, tables
 * appended to D1-schema.sql but not yet folded into 0001 are applied too (as 0001 under a name
 * of its own, so a persisted local database picks up the real 0001 later): work in progress keeps
 * seeing its tables, and CI's `--check` still fails until `--from-schema` is run.
 */
export async function readMigrations(root = REPO_ROOT): Promise<D1Migration[]> {
  const files = await readMigrationFiles(path.join(root, 'migrations'));
  if (!isPreDeploy(files)) return toD1Migrations(files);
  const schema = await readFile(path.join(root, 'D1-schema.sql'), 'utf8');
  if (schema === renderSchema(files)) return toD1Migrations(files);
  const sql = initialFromSchema(schema);
  if (!warned) {
    warned = true;
    console.warn(
      'homeostat: D1-schema.sql has changes not in migrations/0001_initial.sql yet; applying ' +
        "D1-schema.sql's (pre-deploy). Fold them in with: npm run db:schema -- --from-schema",
    );
  }
  const hash = createHash('sha256').update(sql).digest('hex').slice(0, 12);
  return toD1Migrations([{ name: `${INITIAL_MIGRATION}#D1-schema.sql-${hash}`, sql }]);
}

/** The part of a D1 binding (workerd's or Miniflare's Node-side proxy) applying migrations needs. */
export interface D1Like {
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<unknown>;
}
interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  run(): Promise<unknown>;
  all(): Promise<{ results: unknown[] }>;
}

/**
 * Applies the migrations not yet recorded, each with its record in one batch (one transaction),
 * exactly as `wrangler d1 migrations apply` and `@cloudflare/vitest-plugin`'s applyD1Migrations
 * do, in the same table, so `wrangler d1 migrations apply --local` and `npm start` agree on what
 * a persisted local database already has. Returns the names applied.
 */
export async function applyMigrations(
  db: D1Like,
  migrations: readonly D1Migration[],
): Promise<string[]> {
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT UNIQUE,
        applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
      )`,
    )
    .run();
  const { results } = await db.prepare(`SELECT name FROM "${MIGRATIONS_TABLE}"`).all();
  const applied = new Set(results.map((r) => (r as { name: string }).name));
  const done: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    await db.batch([
      ...m.queries.map((q) => db.prepare(q)),
      db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (name) VALUES (?)`).bind(m.name),
    ]);
    done.push(m.name);
  }
  return done;
}

/**
 * `D1-schema.sql` as single statements, split by wrangler's own splitter. It is the
 * concatenation of the migrations, so applying it gives the migrated schema (without the
 * d1_migrations records); kept for tools that load the schema into a scratch database.
 */
export async function readSchemaStatements(): Promise<string[]> {
  return splitSql(await readFile(D1_SCHEMA_PATH, 'utf8'));
}
