import { execFile } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  applyMigrations,
  INITIAL_MIGRATION,
  PRE_DEPLOY_MARKER,
  readMigrationFiles,
  readMigrations,
  renderSchema,
} from '../../scripts/lib/d1-schema.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';

/**
 * D1 migrations (issue 12, section 3): `npm run db:schema` and its modes on a copy of the
 * repository's migrations, and one database migrated by the real `wrangler d1 migrations apply
 * --local` then opened the way `npm start` opens it, to show both record migrations alike.
 */

const run = promisify(execFile);
const DB_ID = '00000000-0000-4000-8000-000000000001';
const NEW_TABLE = '\nCREATE TABLE IF NOT EXISTS probe_table (id INTEGER PRIMARY KEY);\n';

let root: string;

/** Runs the db:schema CLI on `root`; resolves to its exit code and output. */
async function dbSchema(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const r = await run(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts/db-schema.ts'), '--root', root, ...args],
      { cwd: REPO_ROOT },
    );
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const schemaFile = () => path.join(root, 'D1-schema.sql');
const initialFile = () => path.join(root, 'migrations', INITIAL_MIGRATION);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'homeostat-db-schema-'));
  // The repository's migrations with a pre-deploy 0001, whatever state the repository is in.
  await cp(path.join(REPO_ROOT, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  const initial = await readFile(initialFile(), 'utf8');
  if (!initial.includes(PRE_DEPLOY_MARKER)) {
    await writeFile(initialFile(), `${PRE_DEPLOY_MARKER}\n${initial}`);
  }
  await writeFile(
    schemaFile(),
    renderSchema(await readMigrationFiles(path.join(root, 'migrations'))),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm run db:schema', () => {
  test('before the first deploy: appended tables fail --check, reach the tests, fold into 0001, then 0001 is sealed', async () => {
    expect((await dbSchema('--check')).code).toBe(0);
    await appendFile(schemaFile(), NEW_TABLE);
    const drift = await dbSchema('--check');
    expect(drift.code).toBe(1);
    expect(drift.output).toContain('--from-schema');

    // The tests and npm start already see the table, under a name the real 0001 does not take.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const pending = await readMigrations(root);
    expect(warn.mock.calls[0]?.[0]).toContain('npm run db:schema -- --from-schema');
    warn.mockRestore();
    expect(pending).toHaveLength(1);
    expect(pending[0]?.name).toMatch(/^0001_initial\.sql#D1-schema\.sql-[0-9a-f]{12}$/);
    expect(pending[0]?.queries.at(-1)).toContain('probe_table');

    // Regenerating would drop the table: refused, file untouched.
    const before = await readFile(schemaFile(), 'utf8');
    expect((await dbSchema()).code).toBe(1);
    expect(await readFile(schemaFile(), 'utf8')).toBe(before);

    expect((await dbSchema('--from-schema')).code).toBe(0);
    expect(await readFile(initialFile(), 'utf8')).toContain('probe_table');
    expect((await dbSchema('--check')).code).toBe(0);
    expect((await readMigrations(root)).map((m) => m.name)).toEqual([INITIAL_MIGRATION]);

    expect((await dbSchema('--seal')).code).toBe(0);
    expect(await readFile(initialFile(), 'utf8')).not.toContain('homeostat:pre-deploy');
    expect((await dbSchema('--check')).code).toBe(0);
    const refused = await dbSchema('--from-schema');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('new migration');
  });

  test('after the seal: a new migration is appended to the generated schema; editing D1-schema.sql fails --check', async () => {
    await writeFile(
      path.join(root, 'migrations', '0002_probe_column.sql'),
      "ALTER TABLE probe_table ADD COLUMN note TEXT;\nUPDATE schema_meta SET value = '99' WHERE key = 'schema_version';\n",
    );
    expect((await dbSchema('--check')).code).toBe(1);
    expect((await dbSchema()).code).toBe(0);
    expect((await dbSchema('--check')).code).toBe(0);
    expect(await readFile(schemaFile(), 'utf8')).toContain(
      '-- ==== migrations/0002_probe_column.sql ====\nALTER TABLE probe_table',
    );
    await appendFile(schemaFile(), NEW_TABLE.replace('probe_table', 'probe_other'));
    expect((await dbSchema('--check')).code).toBe(1);
    // No fallback once sealed: what the tests apply is migrations/ alone.
    expect((await readMigrations(root)).map((m) => m.name)).toEqual([
      INITIAL_MIGRATION,
      '0002_probe_column.sql',
    ]);
  });
});

describe('one migrations table for wrangler and npm start', () => {
  test('wrangler d1 migrations apply --local, then the local stack (applyMigrations) adds nothing and schema_version reads as /healthz reads it', async () => {
    const persist = path.join(root, 'state');
    await mkdir(persist, { recursive: true });
    await writeFile(
      path.join(root, 'wrangler.toml'),
      `name = "probe"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "homeostat"\ndatabase_id = "${DB_ID}"\nmigrations_dir = "migrations"\n`,
    );
    await run(
      path.join(REPO_ROOT, 'node_modules/.bin/wrangler'),
      ['d1', 'migrations', 'apply', 'homeostat', '--local', '--persist-to', persist],
      { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } },
    );
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        resourcePersistencePath: path.join(persist, 'v3'),
        workers: [
          {
            name: 'probe',
            modules: true,
            script: 'export default { fetch() { return new Response(null, { status: 204 }); } }',
            compatibilityDate: '2026-11-01',
            d1Databases: { DB: DB_ID },
          },
        ],
      }),
    );
    try {
      const db = await mf.getD1Database('DB', 'probe');
      expect(await applyMigrations(db, await readMigrations(root))).toEqual([]);
      const version = await db
        .prepare("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        .first<{ value: string }>();
      expect(version?.value).toBe('99');
      const applied = await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all();
      expect(applied.results.map((r) => (r as { name: string }).name)).toEqual([
        INITIAL_MIGRATION,
        '0002_probe_column.sql',
      ]);
    } finally {
      await mf.dispose();
    }
  });
});
