import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPreDeploy, readMigrationFiles, renderSchema } from '../d1-schema.ts';
import { REPO_ROOT } from '../workers.ts';
import { type BundleRow, checkBundle, formatBundleTable } from './bundle-check.ts';
import {
  type EnsureResult,
  ensureBuckets,
  ensureDatabase,
  ensureQueue,
  listSecrets,
} from './cloudflare-resources.ts';
import { removeDeployConfig, writeDeployConfig } from './deploy-config.ts';
import { type DeployPlan, readDeployPlan } from './deploy-plan.ts';
import { mustRun, stripAnsi, type WranglerRunner } from './wrangler-runner.ts';

export interface DeployOptions {
  run: WranglerRunner;
  log: (line: string) => void;
  /** Where the Wrangler configs live (the repository). */
  root?: string;
  /** Where migrations/ and D1-schema.sql live; the repository unless a test says otherwise. */
  schemaRoot?: string;
}

export interface DeployReport {
  database: EnsureResult & { id: string };
  queues: EnsureResult[];
  buckets: EnsureResult[];
  /** workers.dev URLs wrangler printed, per Worker. */
  urls: Record<string, string | undefined>;
  /** The exact commands for each secret not set yet. */
  secretCommands: string[];
}

/** The vars a deployed Worker must see; the committed configs hold the local development values. */
export const PRODUCTION_VARS = ['HOMEOSTAT_ENV:production'];

/**
 * Refuses to deploy a schema that is not final: D1-schema.sql must be what the migrations
 * generate (else edits would be missing from production), and 0001 must be sealed (else it could
 * still be rewritten after production applied it, and wrangler would never apply the rewrite).
 */
export async function schemaProblems(schemaRoot: string): Promise<string[]> {
  const files = await readMigrationFiles(path.join(schemaRoot, 'migrations'));
  const schema = await readFile(path.join(schemaRoot, 'D1-schema.sql'), 'utf8').catch(() => '');
  const problems: string[] = [];
  if (schema !== renderSchema(files)) {
    problems.push(
      'D1-schema.sql is not what migrations/ generates: run `npm run db:schema -- --from-schema` (before the first deploy) or add a migration, then commit',
    );
  }
  if (isPreDeploy(files)) {
    problems.push(
      'migrations/0001_initial.sql is not sealed yet: run `npm run db:schema -- --seal` and commit before the first deploy (migrations/README.md)',
    );
  }
  return problems;
}

function workersDevUrl(deployOutput: string): string | undefined {
  return stripAnsi(deployOutput).match(/https:\/\/\S+\.workers\.dev\b/)?.[0];
}

function indent(text: string): string {
  return stripAnsi(text)
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/**
 * `npm run deploy`: creates what is missing (the D1 database, every queue and dead-letter queue,
 * the R2 bucket), applies the migrations to the remote database, deploys the three Workers in
 * dependency order and returns the secrets still to set. Idempotent: resources are looked up
 * before anything is created, migrations already applied are skipped by wrangler, and a repeated
 * `wrangler deploy` uploads the same code as a new version.
 */
export async function deployAll(options: DeployOptions): Promise<DeployReport> {
  const { run, log } = options;
  const root = options.root ?? REPO_ROOT;
  const problems = await schemaProblems(options.schemaRoot ?? root);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const plan: DeployPlan = readDeployPlan(root);

  const database = await ensureDatabase(run, plan.database);
  log(`D1 ${database.name}: ${database.created ? 'created' : 'exists'} (${database.id})`);
  const queues: EnsureResult[] = [];
  for (const name of plan.queues) {
    const q = await ensureQueue(run, name);
    queues.push(q);
    log(`queue ${name}: ${q.created ? 'created' : 'exists'}`);
  }
  const buckets = await ensureBuckets(run, plan.buckets);
  for (const b of buckets) log(`R2 bucket ${b.name}: ${b.created ? 'created' : 'exists'}`);

  const urls: Record<string, string | undefined> = {};
  try {
    const deployConfigs = new Map<string, string>();
    for (const t of plan.targets) {
      deployConfigs.set(t.entry.name, await writeDeployConfig(t.configPath, database.id, root));
    }
    const first = plan.targets[0];
    const firstConfig = first && deployConfigs.get(first.entry.name);
    if (firstConfig === undefined) throw new Error('no Workers to deploy');
    log('applying D1 migrations (remote)');
    log(
      indent(
        await mustRun(run, [
          'd1',
          'migrations',
          'apply',
          plan.database,
          '--remote',
          '--config',
          firstConfig,
        ]),
      ),
    );
    for (const t of plan.targets) {
      const config = deployConfigs.get(t.entry.name) ?? t.configPath;
      const vars = PRODUCTION_VARS.flatMap((v) => ['--var', v]);
      log(`deploying ${t.scriptName} (${t.configPath})`);
      const out = await mustRun(run, ['deploy', '--config', config, ...vars]);
      urls[t.entry.name] = workersDevUrl(out);
      log(indent(out));
    }
  } finally {
    for (const t of plan.targets) await removeDeployConfig(t.configPath, root);
  }

  const secretCommands: string[] = [];
  for (const t of plan.targets) {
    const set = await listSecrets(run, t.configPath);
    for (const name of t.secrets) {
      if (set?.has(name) !== true) {
        secretCommands.push(`npx wrangler secret put ${name} --config ${t.configPath}`);
      }
    }
  }
  return { database, queues, buckets, urls, secretCommands };
}

/**
 * `npm run deploy -- --dry-run`: builds every Worker's bundle with its real config, as a deploy
 * would, and checks it against Cloudflare's limits. Needs no account.
 */
export async function dryRunAll(
  options: DeployOptions & { startup?: boolean },
): Promise<{ ok: boolean; rows: BundleRow[]; table: string }> {
  const plan = readDeployPlan(options.root ?? REPO_ROOT);
  const workDir = await mkdtemp(path.join(tmpdir(), 'homeostat-deploy-dry-run-'));
  try {
    const rows: BundleRow[] = [];
    for (const t of plan.targets) {
      rows.push(await checkBundle(options.run, t, workDir, { startup: options.startup ?? true }));
    }
    return { ok: rows.every((r) => r.over.length === 0), rows, table: formatBundleTable(rows) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
