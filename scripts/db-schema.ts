import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  INITIAL_MIGRATION,
  initialFromSchema,
  isPreDeploy,
  PRE_DEPLOY_MARKER,
  readMigrationFiles,
  renderSchema,
} from './lib/d1-schema.ts';
import { REPO_ROOT } from './lib/workers.ts';

const USAGE = `usage: npm run db:schema -- [--check | --from-schema | --seal]
  (none)         regenerate D1-schema.sql from migrations/*.sql
  --check        exit 1 when D1-schema.sql is not what the migrations generate (CI)
  --from-schema  before the first deploy only: fold what D1-schema.sql now holds (tables appended
                 at its end) into migrations/${INITIAL_MIGRATION}, then regenerate D1-schema.sql
  --seal         once, before the first deploy: mark ${INITIAL_MIGRATION} as applied in production
                 (removes its homeostat:pre-deploy line); from then on changes are new migrations`;

async function main(): Promise<number> {
  let values: {
    check?: boolean;
    'from-schema'?: boolean;
    seal?: boolean;
    help?: boolean;
    root?: string;
  };
  try {
    values = parseArgs({
      options: {
        check: { type: 'boolean' },
        'from-schema': { type: 'boolean' },
        seal: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        // Tests run the command on a copy of the repository's schema files.
        root: { type: 'string' },
      },
    }).values;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    console.error(USAGE);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const modes = [values.check, values['from-schema'], values.seal].filter((v) => v === true);
  if (modes.length > 1) {
    console.error('db:schema: choose one of --check, --from-schema, --seal');
    return 2;
  }
  const root = path.resolve(values.root ?? REPO_ROOT);
  const migrationsDir = path.join(root, 'migrations');
  const schemaPath = path.join(root, 'D1-schema.sql');
  const initialPath = path.join(migrationsDir, INITIAL_MIGRATION);
  const files = await readMigrationFiles(migrationsDir);
  const current = await readFile(schemaPath, 'utf8').catch(() => '');
  const generated = renderSchema(files);
  const preDeploy = isPreDeploy(files);
  const initial = files[0];

  if (values.check === true) {
    if (current === generated) {
      console.log(`db:schema: D1-schema.sql matches migrations/ (${files.length} file(s))`);
      return 0;
    }
    console.error(
      preDeploy
        ? 'db:schema: D1-schema.sql has changes not in migrations/ yet: run `npm run db:schema -- --from-schema` (before the first deploy) and commit both'
        : 'db:schema: D1-schema.sql is not what migrations/ generates: schema changes are new migrations (migrations/README.md); then run `npm run db:schema`',
    );
    return 1;
  }

  if (values['from-schema'] === true || values.seal === true) {
    if (!preDeploy || initial === undefined) {
      console.error(
        `db:schema: migrations/${INITIAL_MIGRATION} is already sealed (applied in production) or not the only migration: change the schema with a new migration instead`,
      );
      return 1;
    }
    let sql = values['from-schema'] === true ? initialFromSchema(current) : initial.sql;
    if (values.seal === true) {
      if (current !== generated) {
        console.error(
          'db:schema: D1-schema.sql has changes not in migrations/ yet: run --from-schema first',
        );
        return 1;
      }
      sql = sql
        .split('\n')
        .filter((line) => line !== PRE_DEPLOY_MARKER)
        .join('\n');
    }
    await writeFile(initialPath, sql);
    const regenerated = renderSchema([{ name: INITIAL_MIGRATION, sql }]);
    await writeFile(schemaPath, regenerated);
    console.log(
      values.seal === true
        ? `db:schema: sealed migrations/${INITIAL_MIGRATION}; commit it and D1-schema.sql before deploying`
        : `db:schema: wrote migrations/${INITIAL_MIGRATION} from D1-schema.sql and regenerated D1-schema.sql`,
    );
    return 0;
  }

  // Regenerating must not drop tables appended to D1-schema.sql before the first deploy.
  if (preDeploy && initial !== undefined && initialFromSchema(current) !== initial.sql) {
    console.error(
      'db:schema: D1-schema.sql has changes not in migrations/ yet; keep them with `npm run db:schema -- --from-schema`',
    );
    return 1;
  }
  await writeFile(schemaPath, generated);
  console.log(`db:schema: wrote D1-schema.sql from ${files.length} migration(s)`);
  return 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`db:schema: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
