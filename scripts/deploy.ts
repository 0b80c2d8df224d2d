import { parseArgs } from 'node:util';
import { deployAll, dryRunAll } from './lib/deploy/deploy.ts';
import { spawnWrangler } from './lib/deploy/wrangler-runner.ts';

const USAGE = `usage: npm run deploy -- [--dry-run [--no-startup]]
Deploys Homeostat to the Cloudflare account wrangler is logged in to (\`npx wrangler login\`, or
CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID): creates the D1 database, the queues and their
dead-letter queues and the R2 bucket where missing, applies migrations/ to the remote database,
deploys ingest, triage and canary-monitor, and prints the \`wrangler secret put\` commands for the
secrets not set yet. Safe to re-run. Guide: docs/deploy.md.
  --dry-run     build each Worker's bundle with its real config and check it against
                Cloudflare's size and startup limits; no account needed, exits 1 when over
  --no-startup  with --dry-run: skip the startup CPU profile (wrangler check startup)`;

async function main(): Promise<number> {
  let values: { 'dry-run'?: boolean; 'no-startup'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      options: {
        'dry-run': { type: 'boolean' },
        'no-startup': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
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
  const run = spawnWrangler();
  const log = (line: string) => console.log(`deploy: ${line}`);

  if (values['dry-run'] === true) {
    const result = await dryRunAll({ run, log, startup: values['no-startup'] !== true });
    console.log(
      "Worker bundles (wrangler deploy --dry-run, real configs) against Cloudflare's limits:",
    );
    console.log(result.table);
    if (!result.ok) {
      console.error('deploy: a Worker is over a Cloudflare limit (see the verdict column)');
      return 1;
    }
    return 0;
  }

  const report = await deployAll({ run, log });
  console.log('');
  console.log('Deployed. Workers:');
  for (const [name, url] of Object.entries(report.urls)) {
    console.log(`  ${name.padEnd(15)} ${url ?? '(no workers.dev URL printed)'}`);
  }
  if (report.urls.triage !== undefined) {
    console.log(`GitHub webhook URL: ${report.urls.triage}/github/webhook (docs/deploy.md)`);
  }
  if (report.secretCommands.length > 0) {
    console.log('');
    console.log('Secrets not set yet (each is optional; docs/deploy.md says what each enables):');
    for (const c of report.secretCommands) console.log(`  ${c}`);
  } else {
    console.log('Every declared secret is set.');
  }
  return 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`deploy: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
