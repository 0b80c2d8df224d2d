import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WranglerResult } from '../../scripts/lib/deploy/wrangler-runner.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';

/**
 * A stand-in for wrangler 4 against a Cloudflare account, for `npm run deploy`'s tests (there is
 * no account here). It keeps the account's state (databases, queues, buckets, applied migrations,
 * deployed Workers, secrets), records every command, and answers in wrangler 4.164's formats as
 * its source prints them (node_modules/wrangler/wrangler-dist/cli.js): `d1 list --json`, the
 * `queues info` lines and its "does not exist" error, `r2 bucket list`'s labelled values,
 * `d1 migrations apply`'s messages, `deploy`'s upload lines, `secret list`'s JSON. Like the real
 * API it refuses what would fail in production: creating a resource twice, a deploy whose
 * database id, queues, bucket or service-binding target do not exist, applying migrations to a
 * database id the account lacks.
 */

export interface FakeAccountState {
  databases: { uuid: string; name: string; created_at: string }[];
  queues: { queue_id: string; queue_name: string }[];
  buckets: { name: string; creation_date: string }[];
  /** Migration names applied, per database id. */
  applied: Record<string, string[]>;
  deployed: Record<string, { versions: number; vars: string[]; databaseIds: string[] }>;
  secrets: Record<string, string[]>;
  calls: string[][];
  /** Size of the module `deploy --dry-run` writes, and the startup CPU time `check startup` reports. */
  bundleBytes: number;
  /** Random text instead of code: about as large after gzip as a real bundle that big would not be. */
  bundleRandom?: boolean;
  startupMs: number;
}

export function emptyAccount(): FakeAccountState {
  return {
    databases: [],
    queues: [],
    buckets: [],
    applied: {},
    deployed: {},
    secrets: {},
    calls: [],
    bundleBytes: 200 * 1024,
    startupMs: 40,
  };
}

const VALUE_FLAGS = new Set(['--config', '--outdir', '--outfile', '--worker', '--var', '--name']);

function parse(args: readonly string[]) {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a.startsWith('--')) {
      const [key, inline] = a.split('=', 2) as [string, string | undefined];
      const value = inline ?? (VALUE_FLAGS.has(key) ? args[++i] : 'true');
      flags.set(key, [...(flags.get(key) ?? []), value ?? '']);
    } else {
      positional.push(a);
    }
  }
  return {
    positional,
    flag: (k: string) => flags.get(k)?.[0],
    all: (k: string) => flags.get(k) ?? [],
  };
}

const ok = (stdout: string): WranglerResult => ({ code: 0, stdout, stderr: '' });
const fail = (message: string): WranglerResult => ({
  code: 1,
  stdout: '',
  stderr: `\n✘ [ERROR] ${message}\n\n`,
});
const apiError = (route: string, text: string, code: number) =>
  fail(`A request to the Cloudflare API (${route}) failed.\n\n  ${text} [code: ${code}]`);

export class FakeWrangler {
  state: FakeAccountState;
  /** wrangler resolves --config against its working directory: the repository for deploy. */
  private readonly cwd: string;

  constructor(state: FakeAccountState = emptyAccount(), cwd = REPO_ROOT) {
    this.state = state;
    this.cwd = cwd;
  }

  static async load(file: string): Promise<FakeWrangler> {
    return new FakeWrangler(JSON.parse(await readFile(file, 'utf8')) as FakeAccountState);
  }

  async save(file: string): Promise<void> {
    await writeFile(file, JSON.stringify(this.state));
  }

  /** The commands run so far, each as one string, for assertions. */
  commands(): string[] {
    return this.state.calls.map((c) => c.join(' '));
  }

  readonly run = async (args: readonly string[]): Promise<WranglerResult> => {
    this.state.calls.push([...args]);
    const p = parse(args);
    const [a, b, c] = p.positional;
    const now = new Date(0).toISOString();
    const s = this.state;

    if (a === 'd1' && b === 'list') {
      if (p.flag('--json') !== 'true') return ok('(table output: use --json)');
      return ok(
        JSON.stringify(
          s.databases.map((d) => ({ ...d, version: 'production' })),
          null,
          2,
        ),
      );
    }
    if (a === 'd1' && b === 'create' && c !== undefined) {
      if (s.databases.some((d) => d.name === c)) {
        return apiError(
          '/accounts/fake/d1/database',
          'A database with that name already exists.',
          7502,
        );
      }
      const uuid = randomUUID();
      s.databases.push({ uuid, name: c, created_at: now });
      return ok(
        `✅ Successfully created DB '${c}' in region WEUR\nCreated your new D1 database.\n\n` +
          `To access your new D1 Database in your Worker, add the following snippet to your configuration file:\n` +
          `[[d1_databases]]\nbinding = "${c}"\ndatabase_name = "${c}"\ndatabase_id = "${uuid}"\n`,
      );
    }
    if (a === 'queues' && b === 'info' && c !== undefined) {
      const q = s.queues.find((x) => x.queue_name === c);
      if (q === undefined) {
        return fail(`Queue "${c}" does not exist. To create it, run: wrangler queues create ${c}`);
      }
      return ok(
        `Queue Name: ${q.queue_name}\nQueue ID: ${q.queue_id}\nCreated On: ${now}\nLast Modified: ${now}\nNumber of Producers: 0\nNumber of Consumers: 0\n`,
      );
    }
    if (a === 'queues' && b === 'create' && c !== undefined) {
      if (s.queues.some((x) => x.queue_name === c)) {
        return apiError('/accounts/fake/queues', 'Queue name already taken', 11009);
      }
      s.queues.push({ queue_id: randomUUID().replaceAll('-', ''), queue_name: c });
      return ok(`🌀 Creating queue '${c}'\n✅ Created queue '${c}'\n`);
    }
    if (a === 'r2' && b === 'bucket' && c === 'list') {
      const blocks = s.buckets.map(
        (x) => `name:           ${x.name}\ncreation_date:  ${x.creation_date}`,
      );
      return ok(`Listing buckets...\n${blocks.join('\n\n')}\n`);
    }
    if (a === 'r2' && b === 'bucket' && c === 'create') {
      const name = p.positional[3] ?? '';
      if (s.buckets.some((x) => x.name === name)) {
        return apiError(
          '/accounts/fake/r2/buckets',
          'The bucket you tried to create already exists, and you own it.',
          10004,
        );
      }
      s.buckets.push({ name, creation_date: now });
      return ok(
        `Creating bucket '${name}'...\n✅ Created bucket '${name}' with default storage class of Standard.\n`,
      );
    }
    if (a === 'd1' && b === 'migrations' && c === 'apply') {
      return this.applyMigrations(p.positional[3] ?? '', p.flag('--config'), p.flag('--remote'));
    }
    if (a === 'deploy') {
      const config = p.flag('--config');
      if (config === undefined) return fail('fake: --config is required');
      if (p.flag('--dry-run') === 'true')
        return this.dryRun(p.flag('--outdir'), p.flag('--outfile'));
      return this.deploy(config, p.all('--var'));
    }
    if (a === 'check' && b === 'startup') {
      const out = p.flag('--outfile');
      if (out === undefined || p.flag('--worker') === undefined)
        return fail('fake: --worker and --outfile');
      const us = Math.round(s.startupMs * 1000);
      const profile = {
        nodes: [
          { id: 1, callFrame: { functionName: '(root)' } },
          { id: 2, callFrame: { functionName: '(program)' } },
          { id: 3, callFrame: { functionName: '(idle)' } },
        ],
        startTime: 0,
        endTime: us + 5000,
        samples: [2, 3],
        timeDeltas: [us, 5000],
      };
      await writeFile(out, JSON.stringify(profile));
      return ok(`Startup phase analysed\nCPU Profile has been written to ${out}.\n`);
    }
    if (a === 'secret' && b === 'list') {
      const name = (await this.readConfig(p.flag('--config')))?.name ?? '';
      if (s.deployed[name] === undefined) {
        return fail(
          `Worker "${name}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`,
        );
      }
      return ok(
        JSON.stringify(
          (s.secrets[name] ?? []).map((n) => ({ name: n, type: 'secret_text' })),
          null,
          '  ',
        ),
      );
    }
    return fail(`fake wrangler does not implement: wrangler ${args.join(' ')}`);
  };

  /** Loaded on demand: importing wrangler takes a second, and the bin runs once per command. */
  private async readConfig(config: string | undefined) {
    if (config === undefined) return undefined;
    const { readWranglerConfig } = await import('../../scripts/lib/deploy/deploy-plan.ts');
    return readWranglerConfig(path.resolve(this.cwd, config));
  }

  private async applyMigrations(
    name: string,
    config: string | undefined,
    remote: string | undefined,
  ): Promise<WranglerResult> {
    if (remote !== 'true') return fail('fake: only --remote is emulated');
    const cfg = await this.readConfig(config);
    const db = cfg?.d1_databases.find((d) => d.database_name === name || d.binding === name);
    if (cfg === undefined || db === undefined) {
      return fail(
        `Couldn't find a D1 DB with the name or binding '${name}' in your wrangler.toml file.`,
      );
    }
    const id = db.database_id ?? '';
    if (!this.state.databases.some((d) => d.uuid === id)) {
      return apiError(
        `/accounts/fake/d1/database/${id}/query`,
        'Could not route to /client/v4/accounts/fake/d1/database, perhaps your object identifier is invalid?',
        7404,
      );
    }
    const dir = path.resolve(path.dirname(cfg.configPath ?? ''), db.migrations_dir ?? 'migrations');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    const applied = this.state.applied[id] ?? [];
    this.state.applied[id] = applied;
    const pending = files.filter((f) => !applied.includes(f));
    if (pending.length === 0) return ok('✅ No migrations to apply!\n');
    applied.push(...pending);
    const rows = pending.map((f) => `│ ${f} │ ✅ │`).join('\n');
    return ok(`Migrations to be applied:\n${pending.map((f) => `│ ${f} │`).join('\n')}\n${rows}\n`);
  }

  private async dryRun(
    outdir: string | undefined,
    outfile: string | undefined,
  ): Promise<WranglerResult> {
    // Code-like text that compresses about as well as a real bundle does.
    const size = this.state.bundleBytes;
    let module = '';
    if (this.state.bundleRandom === true) {
      module = randomBytes(size).toString('base64').slice(0, size);
    } else {
      for (let i = 0; module.length < size; i++) {
        module += `export const v${i} = ${(i * 2654435761) % 1000003};\n`;
      }
      module = module.slice(0, size);
    }
    if (outdir !== undefined) {
      await mkdir(outdir, { recursive: true });
      await writeFile(path.join(outdir, 'index.js'), module);
      await writeFile(path.join(outdir, 'index.js.map'), '{"version":3,"mappings":""}');
      await writeFile(
        path.join(outdir, 'README.md'),
        'This folder contains the built output assets.\n',
      );
    }
    if (outfile !== undefined) await writeFile(outfile, module);
    return ok(
      `Total Upload: ${(module.length / 1024).toFixed(2)} KiB / gzip: 0.00 KiB\n--dry-run: exiting now.\n`,
    );
  }

  private async deploy(config: string, vars: string[]): Promise<WranglerResult> {
    const cfg = await this.readConfig(config);
    if (cfg?.name === undefined) return fail(`fake: cannot read ${config}`);
    const s = this.state;
    const ids = cfg.d1_databases.map((d) => d.database_id ?? '');
    for (const id of ids) {
      if (!s.databases.some((d) => d.uuid === id)) {
        return apiError(
          `/accounts/fake/workers/scripts/${cfg.name}/versions`,
          `D1 binding 'DB' references database '${id}' which was not found.`,
          10181,
        );
      }
    }
    const queues = [
      ...(cfg.queues.producers ?? []).map((q) => q.queue),
      ...(cfg.queues.consumers ?? []).flatMap((q) => [q.queue, q.dead_letter_queue ?? q.queue]),
    ];
    for (const q of queues) {
      if (!s.queues.some((x) => x.queue_name === q)) {
        return fail(`Queue "${q}" does not exist. To create it, run: wrangler queues create ${q}`);
      }
    }
    for (const bkt of cfg.r2_buckets) {
      if (!s.buckets.some((x) => x.name === bkt.bucket_name)) {
        return apiError(
          `/accounts/fake/workers/scripts/${cfg.name}/versions`,
          `R2 bucket '${bkt.bucket_name}' not found.`,
          10085,
        );
      }
    }
    for (const svc of cfg.services ?? []) {
      if (s.deployed[svc.service] === undefined) {
        return apiError(
          `/accounts/fake/workers/scripts/${cfg.name}/versions`,
          `Could not resolve service binding '${svc.binding}'. Target script '${svc.service}' not found.`,
          10143,
        );
      }
    }
    const prior = s.deployed[cfg.name];
    s.deployed[cfg.name] = { versions: (prior?.versions ?? 0) + 1, vars, databaseIds: ids };
    const triggers = [
      `https://${cfg.name}.fake-account.workers.dev`,
      ...(cfg.triggers.crons ?? []).map((c) => `schedule: ${c}`),
    ];
    return ok(
      `Total Upload: 1000.00 KiB / gzip: 200.00 KiB\nUploaded ${cfg.name} (1.00 sec)\n` +
        `Deployed ${cfg.name} triggers (0.50 sec)\n${triggers.map((t) => `  ${t}`).join('\n')}\n` +
        `Current Version ID: ${randomUUID()}\n`,
    );
  }
}
