import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildDemo } from '../../examples/demo-extension/build.ts';
import { launchWithExtension } from '../../scripts/lib/chromium-extension.ts';
import { planSourceMapUpload, uploadSourceMaps } from '../../scripts/lib/sourcemap-upload.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import { type LocalGitHub, startLocalGitHub } from '../emulators/github/local-github.ts';
import type { WebhookSender } from '../emulators/github/webhook-sender.ts';
import { step } from '../emulators/model/model-emulator.ts';
import { type ModelServer, startModelServer } from '../emulators/model/model-server.ts';
import { correctFix } from '../emulators/model/scripted-answers.ts';
import { type InProcessStack, startInProcessStack } from '../support/in-process-stack.ts';

/**
 * Homeostat's closed loop on one machine (issue 10, "Done when"): the demo extension, built with
 * source maps and loaded in Debian's Chromium from two profiles (two installs), throws a bug;
 * ingest groups it, triage files the issue in the GitHub emulator, the fixer reads the emulated
 * repository at its head, maps the minified frame through the uploaded source maps, proposes a
 * fix, and opens a draft PR; the emulator's CI runs the repository's real tests (`node --test`)
 * on the PR's head and sends signed check webhooks; green → ready → merged with the head pinned.
 * The second bug only a model can fix; the model emulator answers with a wrong fix three times:
 * red checks, retries with the CI's feedback in the prompt, and a stop with needs-human-review.
 */

const SLUG = 'homeostat-demo/demo-extension';
const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const INGEST_KEY = 'hs_pub_demo_local_key_0001';
const GITHUB_TOKEN = 'ghp_localLoopToken000000000000000000001';
const WEBHOOK_SECRET = 'local-loop-webhook-secret-0001';
const ADMIN_TOKEN = 'local-loop-admin-token-0001';
const VERSION = '1.0.0';

let work: string;
let repoDir: string;
let github: LocalGitHub;
let webhooks: WebhookSender;
let model: ModelServer;
let stack: InProcessStack;
const profiles: BrowserContext[] = [];
const pages: Page[] = [];
let extensionDir: string;
const startedAt = Date.now();
const timings: Record<string, number> = {};

async function launchProfile(name: string): Promise<{ context: BrowserContext; id: string }> {
  const { context, extensionId } = await launchWithExtension(
    path.join(work, `profile-${name}`),
    extensionDir,
  );
  profiles.push(context);
  return { context, id: extensionId };
}

/** Clicks a popup button in every profile: each profile is one install of the extension. */
async function clickInEveryProfile(button: string): Promise<void> {
  for (const context of profiles) {
    const worker = context.serviceWorkers()[0];
    if (worker === undefined) throw new Error('no service worker');
    const page = await context.newPage();
    await page.goto(`chrome-extension://${new URL(worker.url()).host}/popup.html`);
    await page.click(`#${button}`);
    // The page stays open: closing it at once could cut off the relay of an async handler's error.
    pages.push(page);
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\n${await diagnose()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const IssueRow = z.object({ fingerprint: z.string(), issue_number: z.number().nullable() });
const RunRow = z.object({
  n: z.number(),
  stage: z.string(),
  candidate_source: z.string().nullable(),
  reason: z.string().nullable(),
  head_sha: z.string().nullable(),
  ci_summary: z.string().nullable(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
  github_calls: z.number(),
  timings: z.string(),
});

async function issueFor(messagePart: string) {
  const rows = await stack.query<unknown>(
    `SELECT i.fingerprint, i.issue_number FROM triage_issues i JOIN fingerprints f
       ON f.extension_id = i.extension_id AND f.fingerprint = i.fingerprint
     WHERE f.title LIKE ?1 AND i.issue_number IS NOT NULL`,
    `%${messagePart}%`,
  );
  return rows.length === 0 ? null : IssueRow.parse(rows[0]);
}

async function runsOf(fingerprint: string) {
  const rows = await stack.query<unknown>(
    'SELECT * FROM fix_attempt_runs WHERE fingerprint = ?1 ORDER BY n',
    fingerprint,
  );
  return rows.map((r) => RunRow.parse(r));
}

/** What the loop did so far, for a failure message. */
async function diagnose(): Promise<string> {
  const runs = await stack.query<unknown>(
    'SELECT n, stage, reason, candidate_source, verdicts, ci_outcome, context FROM fix_attempt_runs',
  );
  const decisions = await stack.query<unknown>(
    'SELECT action, allowed, reason, detail FROM triage_decisions ORDER BY id DESC LIMIT 8',
  );
  const inbox = await stack.query<unknown>(
    "SELECT queue, status, problem FROM queue_inbox WHERE queue LIKE 'homeostat-fix%'",
  );
  const calls = await stack.query<unknown>(
    'SELECT status, http_status, choices, input_tokens FROM fix_model_calls',
  );
  const hooks = await stack.query<unknown>(
    'SELECT event, action, outcome, detail FROM triage_webhook_deliveries ORDER BY received_at DESC LIMIT 12',
  );
  const requests = github.emulator.requests
    .filter((r) => r.method !== 'GET' || r.status >= 400)
    .map((r) => `${r.method} ${r.path} ${r.status}`);
  return JSON.stringify(
    {
      runs,
      decisions,
      inbox,
      calls,
      modelRequests: model.emulator.requests.length,
      hooks,
      requests,
      ci: github.ci?.runs.map((r) => r.conclusion),
    },
    null,
    1,
  ).slice(0, 12_000);
}

function githubWrites(): number {
  return github.emulator.requests.filter((r) => r.method !== 'GET').length;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'homeostat-fix-loop-'));
  // The demo, copied, is the repository the emulator serves and the build's source root.
  repoDir = path.join(work, 'repo');
  await cp(path.join(REPO_ROOT, 'examples/demo-extension'), repoDir, {
    recursive: true,
    // tsconfig.json extends the monorepo's base, which a standalone repository does not have.
    filter: (p) => !/[/\\](dist|node_modules|tsconfig\.json)(?:[/\\]|$)/.test(p),
  });
  github = await startLocalGitHub({
    token: GITHUB_TOKEN,
    repos: { [SLUG]: repoDir },
    ci: { checkName: 'test', timeoutMs: 60_000 },
  });
  model = await startModelServer();
  const configFile = path.join(work, 'homeostat.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 1,
      github: { apiBaseUrl: github.url },
      extensions: [
        {
          id: EXTENSION_ID,
          name: 'demo-extension',
          ingestKeys: [INGEST_KEY],
          repo: SLUG,
          // Both Chromium profiles report from this machine: one network (issue 11, item 2).
          limits: { minInstalls: 2, minNetworks: 1 },
        },
      ],
      repositories: [
        {
          slug: SLUG,
          paths: { include: ['src/**', 'test/**'] },
          requiredChecks: ['test'],
          autoMerge: true,
          visibility: 'public',
          sourceRoots: [{ from: '/', to: '' }],
          // Not a seed rule: this repository's maintainers call the empty-reduce bug safe.
          policy: {
            rules: [{ id: 'empty-reduce', class: 'safe', pattern: 'Reduce of empty array' }],
          },
        },
      ],
      models: {
        providers: [
          {
            name: 'local',
            baseUrl: model.baseUrl,
            model: 'local-fixer',
            pricing: { inputUsdPerMTok: 0.27, outputUsdPerMTok: 1.1 },
            maxOutputTokens: 2_000,
          },
        ],
        candidates: 1,
      },
      canary: {},
    }),
  );
  stack = await startInProcessStack({
    configFile,
    vars: {
      ingest: { FLUSH_INTERVAL_SECONDS: '1' },
      triage: {
        GITHUB_TOKEN,
        GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
        MODEL_API_KEY: 'sk-local-loop',
        ADMIN_TOKEN,
      },
    },
  });
  webhooks = github.deliverTo(`${stack.urls.triage}/github/webhook`, WEBHOOK_SECRET);

  extensionDir = await buildDemo({
    endpoint: stack.urls.ingest,
    root: repoDir,
    outDir: path.join(repoDir, 'dist'),
    sourcemap: true,
  });
  // What `npm run release -- --sourcemaps dist --no-store` does: register the release with the
  // commit it was built from and upload its maps.
  const plan = await planSourceMapUpload({
    dir: extensionDir,
    extensionId: EXTENSION_ID,
    version: VERSION,
    commitSha: github.repos[SLUG],
    buildDir: 'dist',
  });
  await uploadSourceMaps(
    plan,
    { url: stack.urls.triage, adminToken: ADMIN_TOKEN },
    { fetch: (r) => fetch(r), log: () => {} },
  );
  await launchProfile('a');
  await launchProfile('b');
}, 180_000);

afterAll(async () => {
  for (const context of profiles) await context.close();
  await stack?.dispose();
  await github?.close();
  await model?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
  if (Object.keys(timings).length > 0) {
    console.log(`fix loop timings (ms): ${JSON.stringify(timings)}`);
  }
});

describe('the closed loop through the real local stack', () => {
  test('a pattern fix: issue → draft PR → CI green on the head → merged with the head pinned', async () => {
    const t0 = Date.now();
    await clickInEveryProfile('paint-accent');
    const issue = await until('the issue', () => issueFor("reading 'accent'"));
    timings.firstErrorToIssue = Date.now() - t0;
    expect(github.emulator.issue(SLUG, issue.issue_number ?? -1).title).toContain('accent');

    const branch = `homeostat/fix-${issue.fingerprint.slice(4, 16)}`;
    const merged = await until(
      'the merged fix',
      async () => {
        const runs = await runsOf(issue.fingerprint);
        return runs.find((r) => r.stage === 'merged') ?? null;
      },
      120_000,
    );
    timings.firstErrorToMerge = Date.now() - t0;
    expect(merged.candidate_source).toMatch(/^pattern:/);
    expect(merged.cost_usd).toBe(0);
    timings.githubCallsForOneFix = merged.github_calls;

    // The merged code is the fix, and the repository's own tests pass on it.
    const main = github.emulator.git(SLUG).resolve('main');
    const files = github.emulator.git(SLUG).flatten(main?.tree ?? '');
    const themeBlob = files.get('src/theme.ts')?.sha ?? '';
    const theme = new TextDecoder().decode(github.emulator.git(SLUG).blobs.get(themeBlob));
    expect(theme).toMatch(/settings\.theme\?\.accent|settings\?\.theme\?\.accent/);
    const greenRun = github.ci?.runs.find((r) => r.conclusion === 'success');
    expect(greenRun).toBeDefined();
    expect(github.emulator.openPullsWithHead(SLUG, branch)).toEqual([]); // merged: none open

    // The next release, built from main, contains the merge: the problem is fixed in it.
    const release = await fetch(`${stack.urls.triage}/admin/releases/${EXTENSION_ID}/1.0.1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ commitSha: main?.sha, buildDir: 'dist' }),
    });
    expect(await release.json()).toMatchObject({ resolved: [{ fingerprint: issue.fingerprint }] });
    const resolution = await stack.query<unknown>(
      'SELECT fixed_in_version FROM fingerprint_resolutions WHERE fingerprint = ?1',
      issue.fingerprint,
    );
    expect(resolution).toEqual([{ fixed_in_version: '1.0.1' }]);

    // Redelivering every webhook of the flow changes nothing on GitHub.
    await github.settle();
    const writes = githubWrites();
    for (const delivery of [...webhooks.deliveries]) await webhooks.redeliver(delivery.id);
    await github.settle();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(githubWrites()).toBe(writes);
  }, 240_000);

  test('a wrong model fix: red check, retries with the feedback, stop after the third with needs-human-review', async () => {
    const source = await readFile(path.join(repoDir, 'src/badge.ts'), 'utf8');
    const wrong = source.replace(
      'unreadPerFeed.reduce((sum, n) => sum + n);',
      'unreadPerFeed.reduce((sum, n) => sum + n, 1);',
    );
    expect(wrong).not.toBe(source);
    const answer = correctFix('src/badge.ts', source, wrong);
    model.emulator.script(
      step.answer(answer, { prompt_tokens: 2_400, completion_tokens: 180 }),
      step.answer(answer, { prompt_tokens: 2_600, completion_tokens: 180 }),
      step.answer(answer, { prompt_tokens: 2_700, completion_tokens: 180 }),
    );
    await clickInEveryProfile('show-badge');
    const issue = await until('the issue', () => issueFor('Reduce of empty array'));
    const issueNumber = issue.issue_number ?? -1;

    for (let n = 1; n <= 3; n++) {
      const red = await until(
        `attempt ${n} red`,
        async () =>
          (await runsOf(issue.fingerprint)).find((r) => r.n === n && r.stage === 'ci_red'),
        120_000,
      );
      expect(red.candidate_source).toBe('model:local/local-fixer');
      expect(red.ci_summary).toContain('counts unread items across feeds');
      // The CI's own annotation of the failing line, read from the check run.
      expect(red.ci_summary).toMatch(/test\/badge\.test\.ts:\d+:/);
      if (n < 3) {
        // A maintainer (write access, checked through GitHub's permission endpoint) skips the
        // 24h backoff.
        github.emulator.setCollaborator(SLUG, 'octocat', 'admin');
        github.emulator.humanComments(SLUG, issueNumber, '/homeostat retry', 'OWNER');
      }
    }
    await until('needs-human-review on the issue', () =>
      github.emulator.issue(SLUG, issueNumber).labels.some((l) => l === 'needs-human-review'),
    );
    const runs = await runsOf(issue.fingerprint);
    expect(runs.map((r) => [r.n, r.stage])).toEqual([
      [1, 'ci_red'],
      [2, 'ci_red'],
      [3, 'ci_red'],
    ]);
    // The CI summary (failing check and test name) is only in the retries' prompts.
    const prompts = model.emulator.requests.map((r) => JSON.stringify(r.body));
    const feedback = JSON.stringify('check "test": failure').slice(1, -1);
    expect(prompts).toHaveLength(3);
    expect(prompts[0]).not.toContain(feedback);
    expect(prompts[1]).toContain(feedback);
    expect(prompts[2]).toContain(feedback);
    // One PR for the fingerprint, updated in place.
    const branch = `homeostat/fix-${issue.fingerprint.slice(4, 16)}`;
    expect(github.emulator.openPullsWithHead(SLUG, branch)).toHaveLength(1);
    timings.modelTokensPerAttempt = runs[0] ? runs[0].input_tokens + runs[0].output_tokens : 0;
    timings.modelCostMicroUsdPerAttempt = Math.round((runs[0]?.cost_usd ?? 0) * 1e6);
    timings.totalMs = Date.now() - startedAt;
  }, 400_000);
});
