import { execFile } from 'node:child_process';
import { access, chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  INITIAL_MIGRATION,
  PRE_DEPLOY_MARKER,
  readMigrationFiles,
  renderSchema,
} from '../../scripts/lib/d1-schema.ts';
import { deployAll, dryRunAll } from '../../scripts/lib/deploy/deploy.ts';
import { DEPLOY_CONFIG_NAME } from '../../scripts/lib/deploy/deploy-config.ts';
import { readDeployPlan } from '../../scripts/lib/deploy/deploy-plan.ts';
import { REPO_ROOT, WORKERS } from '../../scripts/lib/workers.ts';
import { emptyAccount, FakeWrangler } from '../support/fake-wrangler.ts';

/**
 * `npm run deploy` (issue 12, section 3) against a fake wrangler that keeps an account's state and
 * answers in wrangler's formats (test/support/fake-wrangler.ts): there is no Cloudflare account
 * here. The real configs are read and the real deploy copies are written beside them; the schema
 * comes from a sealed copy of migrations/, so the test does not depend on whether the repository
 * has been sealed yet.
 */

let schemaRoot: string;
const quiet = () => {};
const TEST_SCHEMA_ROOTS: string[] = [];

async function schemaCopy(options: { sealed: boolean; drift?: boolean }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'homeostat-deploy-schema-'));
  TEST_SCHEMA_ROOTS.push(dir);
  await cp(path.join(REPO_ROOT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  const initial = path.join(dir, 'migrations', INITIAL_MIGRATION);
  const lines = (await readFile(initial, 'utf8'))
    .split('\n')
    .filter((l) => l !== PRE_DEPLOY_MARKER);
  await writeFile(initial, [...(options.sealed ? [] : [PRE_DEPLOY_MARKER]), ...lines].join('\n'));
  const schema = renderSchema(await readMigrationFiles(path.join(dir, 'migrations')));
  await writeFile(
    path.join(dir, 'D1-schema.sql'),
    options.drift === true ? `${schema}\nCREATE TABLE t (x);\n` : schema,
  );
  return dir;
}

const configs = () => WORKERS.map((w) => path.join(REPO_ROOT, w.configPath));
const deployCopies = () =>
  WORKERS.map((w) => path.join(REPO_ROOT, path.dirname(w.configPath), DEPLOY_CONFIG_NAME));
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  schemaRoot = await schemaCopy({ sealed: true });
});

afterAll(async () => {
  for (const dir of TEST_SCHEMA_ROOTS) await rm(dir, { recursive: true, force: true });
});

describe('npm run deploy', () => {
  const plan = readDeployPlan();

  test('the plan is read from the three configs: one database, every queue and dead-letter queue, the bucket, secrets', () => {
    expect(plan.database).toBe('homeostat');
    expect(plan.queues).toEqual(
      expect.arrayContaining(['homeostat-triage', 'homeostat-triage-dlq', 'homeostat-fix-dlq']),
    );
    expect(plan.buckets).toEqual(['homeostat-source-maps']);
    expect(plan.targets.map((t) => t.entry.name)).toEqual(['ingest', 'triage', 'canary-monitor']);
    expect(plan.targets.find((t) => t.entry.name === 'triage')?.secrets).toContain('GITHUB_TOKEN');
  });

  test('on an empty account: creates everything, migrates with the real id, deploys in order, lists the secrets; a re-run creates nothing', async () => {
    const fake = new FakeWrangler();
    const committed = await Promise.all(configs().map((c) => readFile(c, 'utf8')));

    const first = await deployAll({ run: fake.run, log: quiet, schemaRoot });
    const id = first.database.id;
    expect(first.database.created).toBe(true);
    expect(fake.state.databases.map((d) => [d.name, d.uuid])).toEqual([['homeostat', id]]);
    expect(fake.state.queues.map((q) => q.queue_name).sort()).toEqual(plan.queues);
    expect(fake.state.buckets.map((b) => b.name)).toEqual(plan.buckets);
    // Each Worker went out with the account's database id and production vars, after its
    // service-binding targets (the fake refuses a binding to a Worker not deployed yet).
    for (const t of plan.targets) {
      expect(fake.state.deployed[t.scriptName]).toEqual({
        versions: 1,
        vars: ['HOMEOSTAT_ENV:production'],
        databaseIds: [id],
      });
    }
    expect(fake.state.applied[id]).toEqual([INITIAL_MIGRATION]);
    const commands = fake.commands();
    expect(commands).toContain(
      `d1 migrations apply homeostat --remote --config ${DEPLOY_CONFIG_NAME}`,
    );
    expect(
      commands.indexOf(`d1 migrations apply homeostat --remote --config ${DEPLOY_CONFIG_NAME}`),
    ).toBeLessThan(commands.findIndex((c) => c.startsWith('deploy ')));
    expect(first.urls.triage).toBe('https://homeostat-triage.fake-account.workers.dev');
    const expected = plan.targets.flatMap((t) =>
      t.secrets.map((s) => `npx wrangler secret put ${s} --config ${t.configPath}`),
    );
    expect(first.secretCommands).toEqual(expected);
    expect(first.secretCommands).toContain(
      'npx wrangler secret put GITHUB_WEBHOOK_SECRET --config workers/triage/wrangler.toml',
    );
    // The committed configs are untouched and the deploy copies are gone.
    expect(await Promise.all(configs().map((c) => readFile(c, 'utf8')))).toEqual(committed);
    for (const copy of deployCopies()) expect(await exists(copy)).toBe(false);

    // Someone set two secrets; the re-run creates nothing and lists only what is still missing.
    fake.state.secrets['homeostat-triage'] = ['GITHUB_TOKEN', 'GITHUB_WEBHOOK_SECRET'];
    const callsBefore = fake.state.calls.length;
    const second = await deployAll({ run: fake.run, log: quiet, schemaRoot });
    const rerun = fake.commands().slice(callsBefore);
    expect(rerun.filter((c) => c.includes(' create '))).toEqual([]);
    expect(second.database).toEqual({ name: 'homeostat', id, created: false });
    expect([...second.queues, ...second.buckets].every((r) => !r.created)).toBe(true);
    expect(fake.state.applied[id]).toEqual([INITIAL_MIGRATION]);
    expect(fake.state.deployed['homeostat-ingest']?.versions).toBe(2);
    expect(second.secretCommands).toEqual(
      expected.filter(
        (c) => !/ (GITHUB_TOKEN|GITHUB_WEBHOOK_SECRET) --config workers\/triage/.test(c),
      ),
    );
  });

  test('a queue that exists already is kept; a wrangler failure stops the deploy and leaves no copies', async () => {
    const state = emptyAccount();
    state.queues.push({ queue_id: 'q1', queue_name: 'homeostat-triage' });
    const fake = new FakeWrangler(state);
    const failing = async (args: readonly string[]) =>
      args[0] === 'deploy' && args.includes(`workers/triage/${DEPLOY_CONFIG_NAME}`)
        ? { code: 1, stdout: '', stderr: '✘ [ERROR] Authentication error [code: 10000]' }
        : fake.run(args);
    await expect(deployAll({ run: failing, log: quiet, schemaRoot })).rejects.toThrow(
      /Authentication error/,
    );
    expect(fake.commands()).not.toContain('queues create homeostat-triage');
    expect(fake.state.queues.filter((q) => q.queue_name === 'homeostat-triage')).toHaveLength(1);
    expect(fake.state.deployed['homeostat-ingest']).toBeDefined();
    expect(fake.state.deployed['homeostat-canary-monitor']).toBeUndefined();
    for (const copy of deployCopies()) expect(await exists(copy)).toBe(false);
  });

  test('refuses, before any wrangler call, an unsealed 0001 or a D1-schema.sql the migrations do not generate', async () => {
    for (const [options, message] of [
      [{ sealed: false }, /not sealed yet/],
      [{ sealed: true, drift: true }, /not what migrations\/ generates/],
    ] as const) {
      const fake = new FakeWrangler();
      await expect(
        deployAll({ run: fake.run, log: quiet, schemaRoot: await schemaCopy(options) }),
      ).rejects.toThrow(message);
      expect(fake.state.calls).toEqual([]);
    }
  });
});

describe('npm run deploy -- --dry-run', () => {
  test('builds each Worker with its real config, measures it and profiles its startup', async () => {
    const fake = new FakeWrangler();
    const result = await dryRunAll({ run: fake.run, log: quiet });
    expect(result.ok).toBe(true);
    expect(result.rows.map((r) => [r.worker, r.rawBytes, r.startupMs, r.over])).toEqual([
      ['ingest', 200 * 1024, 40, []],
      ['triage', 200 * 1024, 40, []],
      ['canary-monitor', 200 * 1024, 40, []],
    ]);
    const builds = fake.commands().filter((c) => c.startsWith('deploy --dry-run --outdir'));
    expect(builds.map((c) => c.split(' --config ')[1])).toEqual(WORKERS.map((w) => w.configPath));
    expect(fake.commands().filter((c) => c.startsWith('check startup --worker'))).toHaveLength(3);
    expect(result.table).toMatch(
      /^triage\s+200\.0 KiB \(0\.3%\)\s+\S+ KiB .*40\.0 ms \(4\.0%\)\s+ok$/m,
    );
  });

  test('the CLI exits 1 and names the limits a bundle is over (fake wrangler as a command)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'homeostat-deploy-cli-'));
    TEST_SCHEMA_ROOTS.push(dir);
    const state = path.join(dir, 'account.json');
    // 5 MiB of random text: about 3.8 MiB after gzip, over the former Free limit only.
    await writeFile(
      state,
      JSON.stringify({
        ...emptyAccount(),
        bundleBytes: 5 * 1024 * 1024,
        bundleRandom: true,
        startupMs: 1500,
      }),
    );
    const bin = path.join(dir, 'wrangler');
    await writeFile(
      bin,
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO_ROOT, 'test/support/fake-wrangler.bin.ts')}" "$@"\n`,
    );
    await chmod(bin, 0o755);
    const failure = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts/deploy.ts'), '--dry-run'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, HOMEOSTAT_WRANGLER: bin, FAKE_WRANGLER_STATE: state },
      },
    ).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toMatch(
      /^ingest\s+5120\.0 KiB .*1500\.0 ms \(150\.0%\)\s+OVER: gzip \(Free\), startup$/m,
    );
    expect(failure?.stderr).toContain('over a Cloudflare limit');
  });
});
