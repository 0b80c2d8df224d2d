import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SharedError } from '@homeostat/shared';
import { CanaryError } from '../workers/canary-monitor/src/canary-error.ts';
import {
  type AccessTokenSource,
  createRefreshTokenSource,
  createServiceAccountSource,
  parseServiceAccountKey,
} from '../workers/canary-monitor/src/cws/cws-auth.ts';
import { ReleaseError, runRelease } from '../workers/canary-monitor/src/release/release.ts';
import { loadConfigFile } from './lib/config-file.ts';
import { REPO_ROOT } from './lib/workers.ts';

const USAGE = `usage: npm run release -- --zip FILE [options]
Uploads the package to the Chrome Web Store, publishes it at the first canary stage and registers
the rollout with canary-monitor, which then judges and promotes it (or freezes / rolls it back).
  --zip FILE         the extension package (manifest.json at its root gives the version)
  --extension NAME   configured extension name or id (needed when several are configured)
  --config FILE      homeostat config (default homeostat.config.json)
  --percentage N     initial deploy percentage (default: the first of canary.stages)
  --staged           STAGED_PUBLISH: publish by hand after approval
  --skip-review      ask the store to skip review where the item qualifies
  --canary-url URL   canary-monitor's URL (or HOMEOSTAT_CANARY_URL)
  --dry-run          check the package and the store, change nothing
environment: CWS_SERVICE_ACCOUNT_KEY (JSON), or CWS_CLIENT_ID + CWS_CLIENT_SECRET +
  CWS_REFRESH_TOKEN; HOMEOSTAT_ADMIN_TOKEN (canary-monitor's ADMIN_TOKEN) to register.`;

function parse() {
  return parseArgs({
    options: {
      zip: { type: 'string' },
      extension: { type: 'string' },
      config: { type: 'string' },
      percentage: { type: 'string' },
      staged: { type: 'boolean' },
      'skip-review': { type: 'boolean' },
      'canary-url': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}

function credentials(tokenUrl: string): AccessTokenSource | null {
  const env = process.env;
  const fetch = (request: Request) => globalThis.fetch(request);
  if (env.CWS_SERVICE_ACCOUNT_KEY?.trim()) {
    return createServiceAccountSource(
      tokenUrl,
      parseServiceAccountKey(env.CWS_SERVICE_ACCOUNT_KEY),
      { fetch },
    );
  }
  if (env.CWS_CLIENT_ID?.trim() && env.CWS_CLIENT_SECRET?.trim() && env.CWS_REFRESH_TOKEN?.trim()) {
    return createRefreshTokenSource(
      tokenUrl,
      {
        clientId: env.CWS_CLIENT_ID,
        clientSecret: env.CWS_CLIENT_SECRET,
        refreshToken: env.CWS_REFRESH_TOKEN,
      },
      { fetch },
    );
  }
  return null;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    console.error(USAGE);
    return 2;
  }
  if (args.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (args.zip === undefined) {
    console.error('release: --zip is required');
    console.error(USAGE);
    return 2;
  }
  const percentage = args.percentage === undefined ? undefined : Number(args.percentage);
  try {
    const config = await loadConfigFile(
      path.resolve(args.config ?? path.join(REPO_ROOT, 'homeostat.config.json')),
    );
    const auth = credentials(config.canary.oauthTokenUrl);
    if (auth === null) {
      console.error(
        'release: no store credentials: set CWS_SERVICE_ACCOUNT_KEY, or CWS_CLIENT_ID, CWS_CLIENT_SECRET and CWS_REFRESH_TOKEN',
      );
      return 2;
    }
    let zip: Uint8Array<ArrayBuffer>;
    try {
      zip = new Uint8Array(await readFile(path.resolve(args.zip)));
    } catch {
      console.error(`release: cannot read ${args.zip}`);
      return 1;
    }
    const url = args['canary-url'] ?? process.env.HOMEOSTAT_CANARY_URL;
    const adminToken = process.env.HOMEOSTAT_ADMIN_TOKEN;
    const result = await runRelease(
      {
        config,
        extension: args.extension,
        zip,
        auth,
        canary: url !== undefined && adminToken?.trim() ? { url, adminToken } : undefined,
        percentage,
        staged: args.staged === true,
        skipReview: args['skip-review'] === true,
        dryRun: args['dry-run'] === true,
      },
      {
        fetch: (request) => globalThis.fetch(request),
        log: (line) => console.log(`release: ${line}`),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
    );
    // One machine-readable line for CI.
    console.log(`release: result ${JSON.stringify(result)}`);
    return 0;
  } catch (err) {
    if (err instanceof ReleaseError || err instanceof CanaryError || err instanceof SharedError) {
      console.error(`release: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main();
