import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDemo } from '../../examples/demo-extension/build.ts';
import {
  type StoreServer,
  startStoreServer,
} from '../../test/emulators/chrome-web-store/store-server.ts';
import { buildZip } from '../../test/emulators/chrome-web-store/zip-writer.ts';
import { type LocalGitHub, startLocalGitHub } from '../../test/emulators/github/local-github.ts';
import { step } from '../../test/emulators/model/model-emulator.ts';
import { type ModelServer, startModelServer } from '../../test/emulators/model/model-server.ts';
import { correctFix } from '../../test/emulators/model/scripted-answers.ts';
import { planSourceMapUpload, uploadSourceMaps } from './sourcemap-upload.ts';
import { REPO_ROOT } from './workers.ts';

/**
 * The sandbox (issue 12, item 2): every outside service Homeostat talks to, emulated on
 * 127.0.0.1 — GitHub with the demo extension as a repository and a CI that runs its real tests,
 * an OpenAI-compatible model, the Chrome Web Store and Google's OAuth — plus the config and
 * credentials that point a local stack at them. `npm run emulators` runs this alone;
 * `npm run demo` adds the stack and Chromium.
 */

export const SANDBOX = {
  slug: 'homeostat-demo/demo-extension',
  extensionId: 'hbmcgnlkdaoflhnpdbdamjhfjinoangf',
  ingestKey: 'hs_pub_demo_local_key_0001',
  githubToken: 'ghp_sandboxToken00000000000000000000001',
  webhookSecret: 'sandbox-webhook-secret-0001',
  adminToken: 'sandbox-admin-token-0001',
  modelKey: 'sk-sandbox-model-key',
  cws: {
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    refreshToken: 'sandbox-refresh',
  },
  publisherId: 'sandbox-publisher',
  version: '1.0.0',
} as const;

export interface Sandbox {
  work: string;
  repoDir: string;
  github: LocalGitHub;
  model: ModelServer;
  store: StoreServer;
  configFile: string;
  /** Wrangler vars (secrets included) per Worker for a stack pointed at the emulators. */
  vars: Record<'ingest' | 'triage' | 'canary-monitor', Record<string, string>>;
  close(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const work = await mkdtemp(path.join(tmpdir(), 'homeostat-sandbox-'));
  const repoDir = path.join(work, 'repo');
  await cp(path.join(REPO_ROOT, 'examples/demo-extension'), repoDir, {
    recursive: true,
    // tsconfig.json extends the monorepo's base, which a standalone repository does not have.
    filter: (p) => !/[/\\](dist|node_modules|tsconfig\.json)(?:[/\\]|$)/.test(p),
  });
  const [github, model, store] = await Promise.all([
    startLocalGitHub({
      token: SANDBOX.githubToken,
      repos: { [SANDBOX.slug]: repoDir },
      ci: { checkName: 'test', timeoutMs: 60_000 },
    }),
    startModelServer({ apiKey: SANDBOX.modelKey }),
    startStoreServer(),
  ]);
  store.emulator.addItem({
    publisherId: SANDBOX.publisherId,
    itemId: SANDBOX.extensionId,
    published: SANDBOX.version,
  });
  store.emulator.addOAuthClient(
    SANDBOX.cws.clientId,
    SANDBOX.cws.clientSecret,
    SANDBOX.cws.refreshToken,
  );

  // The badge bug is one no pattern knows: the model emulator answers with the right fix.
  const badge = await readFile(path.join(repoDir, 'src/badge.ts'), 'utf8');
  const fixed = badge.replace(
    'unreadPerFeed.reduce((sum, n) => sum + n);',
    'unreadPerFeed.reduce((sum, n) => sum + n, 0);',
  );
  model.emulator.script(
    step.answer(correctFix('src/badge.ts', badge, fixed), {
      prompt_tokens: 2_400,
      completion_tokens: 180,
    }),
  );

  const configFile = path.join(work, 'homeostat.config.json');
  await writeFile(
    configFile,
    JSON.stringify(
      {
        version: 1,
        github: { apiBaseUrl: github.url },
        extensions: [
          {
            id: SANDBOX.extensionId,
            name: 'demo-extension',
            ingestKeys: [SANDBOX.ingestKey],
            repo: SANDBOX.slug,
            // Both profiles are on this machine: one network, where production wants two.
            limits: { minInstalls: 2, minNetworks: 1 },
            store: { publisherId: SANDBOX.publisherId },
          },
        ],
        repositories: [
          {
            slug: SANDBOX.slug,
            paths: { include: ['src/**', 'test/**'] },
            requiredChecks: ['test'],
            autoMerge: true,
            visibility: 'public',
            policy: {
              rules: [{ id: 'empty-reduce', class: 'safe', pattern: 'Reduce of empty array' }],
            },
          },
        ],
        models: {
          providers: [
            {
              name: 'sandbox',
              baseUrl: model.baseUrl,
              model: 'sandbox-fixer',
              pricing: { inputUsdPerMTok: 0.27, outputUsdPerMTok: 1.1 },
              maxOutputTokens: 2_000,
            },
          ],
          candidates: 1,
        },
        // Short soaks so a newcomer sees the judge look at the rollout within minutes.
        canary: {
          storeApiBaseUrl: store.baseUrl,
          oauthTokenUrl: store.tokenUrl,
          firstStageMinSoakMinutes: 2,
          minSoakMinutes: 2,
          minSessionsPerStage: 10,
          windowSettleMinutes: 0,
        },
      },
      null,
      2,
    ),
  );
  return {
    work,
    repoDir,
    github,
    model,
    store,
    configFile,
    vars: {
      ingest: { FLUSH_INTERVAL_SECONDS: '1' },
      triage: {
        GITHUB_TOKEN: SANDBOX.githubToken,
        GITHUB_WEBHOOK_SECRET: SANDBOX.webhookSecret,
        MODEL_API_KEY: SANDBOX.modelKey,
        ADMIN_TOKEN: SANDBOX.adminToken,
      },
      'canary-monitor': {
        ADMIN_TOKEN: SANDBOX.adminToken,
        CWS_CLIENT_ID: SANDBOX.cws.clientId,
        CWS_CLIENT_SECRET: SANDBOX.cws.clientSecret,
        CWS_REFRESH_TOKEN: SANDBOX.cws.refreshToken,
      },
    },
    async close() {
      await Promise.allSettled([github.close(), model.close(), store.close()]);
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** Builds the demo against `ingestUrl` with source maps and uploads them to triage. */
export async function buildAndUploadDemo(
  sandbox: Sandbox,
  urls: { ingest: string; triage: string },
) {
  const dir = await buildDemo({
    endpoint: urls.ingest,
    root: sandbox.repoDir,
    outDir: path.join(sandbox.repoDir, 'dist'),
    sourcemap: true,
  });
  const plan = await planSourceMapUpload({
    dir,
    extensionId: SANDBOX.extensionId,
    version: SANDBOX.version,
    commitSha: sandbox.github.repos[SANDBOX.slug],
    buildDir: 'dist',
  });
  await uploadSourceMaps(
    plan,
    { url: urls.triage, adminToken: SANDBOX.adminToken },
    { fetch: (r) => fetch(r), log: () => {} },
  );
  return dir;
}

/** The built extension as a store package whose manifest declares `version`. */
export async function packageZip(dir: string, version: string): Promise<Uint8Array<ArrayBuffer>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    if (name.endsWith('.map')) continue;
    files[name] = await readFile(path.join(dir, name), 'utf8');
  }
  const manifest = JSON.parse(files['manifest.json'] ?? '{}');
  files['manifest.json'] = JSON.stringify({ ...manifest, version });
  return buildZip(files, { deflate: true });
}
