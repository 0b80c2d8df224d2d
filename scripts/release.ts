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
import { readPackageManifest } from '../workers/canary-monitor/src/cws/zip-manifest.ts';
import { runRelease } from '../workers/canary-monitor/src/release/release.ts';
import { loadConfigFile } from './lib/config-file.ts';
import {
  pickExtension,
  planSourceMapUpload,
  SourceMapUploadError,
  type SourceMapUploadResult,
  uploadSourceMaps,
} from './lib/sourcemap-upload.ts';
import { REPO_ROOT } from './lib/workers.ts';

const USAGE = `usage: npm run release -- --zip FILE [options]
       npm run release -- --no-store --sourcemaps DIR --version V [options]
Uploads the package to the Chrome Web Store, publishes it at the first canary stage and registers
the rollout with canary-monitor, which then judges and promotes it (or freezes / rolls it back).
With --sourcemaps it first registers the release with triage and uploads the build's source
maps, so that errors of this version map back to repository files for the fixer; --no-store does
only that (no store credentials needed).
  --zip FILE         the extension package (manifest.json at its root gives the version)
  --extension NAME   configured extension name or id (needed when several are configured)
  --config FILE      homeostat config (default homeostat.config.json)
  --percentage N     initial deploy percentage (default: the first of canary.stages)
  --staged           STAGED_PUBLISH: publish by hand after approval
  --skip-review      ask the store to skip review where the item qualifies
  --canary-url URL   canary-monitor's URL (or HOMEOSTAT_CANARY_URL)
  --dry-run          check the package and the store, change nothing
source maps:
  --sourcemaps DIR   upload every *.map under DIR (the build output); dist/popup.js.map is the
                     map of /popup.js in the package
  --version V        the release's version (default: the --zip package's)
  --commit SHA       the commit it was built from (default: HEAD of DIR's git repository)
  --build-dir PATH   DIR's path in the repository (default: DIR relative to its git root)
  --triage-url URL   triage's URL (or HOMEOSTAT_TRIAGE_URL)
  --no-store         skip the store and canary-monitor: register the release and upload maps only
environment: CWS_SERVICE_ACCOUNT_KEY (JSON), or CWS_CLIENT_ID + CWS_CLIENT_SECRET +
  CWS_REFRESH_TOKEN; HOMEOSTAT_ADMIN_TOKEN (the Workers' ADMIN_TOKEN) to register with
  canary-monitor and triage (HOMEOSTAT_TRIAGE_ADMIN_TOKEN when triage's differs).`;

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
      sourcemaps: { type: 'string' },
      version: { type: 'string' },
      commit: { type: 'string' },
      'build-dir': { type: 'string' },
      'triage-url': { type: 'string' },
      'no-store': { type: 'boolean' },
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
  const store = args['no-store'] !== true;
  const usageError = store
    ? args.zip === undefined && '--zip is required (or --no-store with --sourcemaps)'
    : args.sourcemaps === undefined && '--no-store needs --sourcemaps';
  if (usageError) {
    console.error(`release: ${usageError}`);
    console.error(USAGE);
    return 2;
  }
  const percentage = args.percentage === undefined ? undefined : Number(args.percentage);
  try {
    const config = await loadConfigFile(
      path.resolve(args.config ?? path.join(REPO_ROOT, 'homeostat.config.json')),
    );
    const auth = store ? credentials(config.canary.oauthTokenUrl) : null;
    if (store && auth === null) {
      console.error(
        'release: no store credentials: set CWS_SERVICE_ACCOUNT_KEY, or CWS_CLIENT_ID, CWS_CLIENT_SECRET and CWS_REFRESH_TOKEN (or use --no-store)',
      );
      return 2;
    }
    let zip: Uint8Array<ArrayBuffer> | undefined;
    if (args.zip !== undefined) {
      try {
        zip = new Uint8Array(await readFile(path.resolve(args.zip)));
      } catch {
        console.error(`release: cannot read ${args.zip}`);
        return 1;
      }
    }
    // Maps go up before the package: the first errors of the new version can then be mapped.
    let sourceMaps: SourceMapUploadResult | undefined;
    if (args.sourcemaps !== undefined) {
      const triageUrl = args['triage-url'] ?? process.env.HOMEOSTAT_TRIAGE_URL;
      const triageToken =
        process.env.HOMEOSTAT_TRIAGE_ADMIN_TOKEN?.trim() ||
        process.env.HOMEOSTAT_ADMIN_TOKEN?.trim();
      if (triageUrl === undefined || !triageToken) {
        console.error(
          'release: --sourcemaps needs --triage-url (or HOMEOSTAT_TRIAGE_URL) and HOMEOSTAT_ADMIN_TOKEN',
        );
        return 2;
      }
      const packaged = zip === undefined ? undefined : (await readPackageManifest(zip)).version;
      const version = args.version ?? packaged;
      if (version === undefined) {
        console.error('release: --sourcemaps needs --version (or --zip to read it from)');
        return 2;
      }
      if (packaged !== undefined && packaged !== version) {
        console.error(`release: --version ${version} but the package is ${packaged}`);
        return 2;
      }
      const plan = await planSourceMapUpload({
        dir: args.sourcemaps,
        extensionId: pickExtension(config, args.extension).id,
        version,
        commitSha: args.commit,
        buildDir: args['build-dir'],
      });
      if (args['dry-run'] === true) {
        console.log(
          `release: dry run: would upload ${plan.maps.length} source maps (${plan.maps.map((m) => m.file).join(', ')}) for ${version}, commit ${plan.commitSha ?? 'unknown'}, build dir '${plan.buildDir}'`,
        );
      } else {
        sourceMaps = await uploadSourceMaps(
          plan,
          { url: triageUrl, adminToken: triageToken },
          {
            fetch: (request) => globalThis.fetch(request),
            log: (line) => console.log(`release: ${line}`),
          },
        );
      }
    }
    if (!store || zip === undefined || auth === null) {
      console.log(`release: result ${JSON.stringify({ sourceMaps: sourceMaps ?? null })}`);
      return 0;
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
    console.log(
      `release: result ${JSON.stringify(sourceMaps === undefined ? result : { ...result, sourceMaps })}`,
    );
    return 0;
  } catch (err) {
    if (
      err instanceof CanaryError ||
      err instanceof SharedError ||
      err instanceof SourceMapUploadError
    ) {
      console.error(`release: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main();
