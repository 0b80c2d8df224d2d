import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { createRefreshTokenSource } from '../workers/canary-monitor/src/cws/cws-auth.ts';
import { runRelease } from '../workers/canary-monitor/src/release/release.ts';
import { launchWithExtension } from './lib/chromium-extension.ts';
import { loadConfigFile } from './lib/config-file.ts';
import { buildAndUploadDemo, packageZip, SANDBOX, startSandbox } from './lib/sandbox.ts';

const USAGE = `usage: npm run demo -- [--headed] [--ci] [--timeout SECONDS]
Runs Homeostat's whole loop on this machine against emulators (GitHub with a CI that runs the
demo's tests, an OpenAI-compatible model, the Chrome Web Store): the demo extension in Chromium,
two profiles = two installs, throws two bugs; watch them become issues, fix PRs, CI runs and
merges, then a staged rollout being judged, in the console whose URL is printed.
  --headed   show the browser windows (default: headless)
  --ci       exit 0 once the loop has closed, 1 if it has not within --timeout
  --timeout  seconds to wait in --ci mode (default 300)`;

function parse() {
  return parseArgs({
    options: {
      headed: { type: 'boolean' },
      ci: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}

const say = (line: string) => console.log(`demo: ${line}`);

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
  const timeoutMs = Number(args.timeout ?? 300) * 1000;
  const t0 = Date.now();
  const sandbox = await startSandbox();
  say(`GitHub emulator ${sandbox.github.url} (repository ${SANDBOX.slug}, CI runs its npm test)`);
  say(
    `model emulator ${sandbox.model.baseUrl}, Chrome Web Store emulator ${sandbox.store.baseUrl}`,
  );

  process.env.WRANGLER_LOG ??= 'error';
  const { startLocalStack } = await import('./lib/local-stack.ts');
  const stack = await startLocalStack({
    configFile: sandbox.configFile,
    persistTo: path.join(sandbox.work, 'state'),
    host: '127.0.0.1',
    ports: { ingest: 0, triage: 0, 'canary-monitor': 0 },
    // Every 15 s instead of every few minutes: the demo should not make anyone wait.
    cronOverride: '*/15 * * * * *',
    vars: sandbox.vars,
  });
  const db = await stack.miniflare.getD1Database('DB', 'homeostat-ingest');
  const query = async <T>(sql: string, ...params: unknown[]) =>
    (
      await db
        .prepare(sql)
        .bind(...params)
        .all<T>()
    ).results;
  sandbox.github.deliverTo(`${stack.urls.triage}/github/webhook`, SANDBOX.webhookSecret);
  const consoleUrl = `${stack.urls.triage}/console`;
  say(
    `stack up: ingest ${stack.urls.ingest}, triage ${stack.urls.triage}, canary ${stack.urls['canary-monitor']}`,
  );
  say(`console: ${consoleUrl}   <- open this to watch (no login on 127.0.0.1)`);

  const extensionDir = await buildAndUploadDemo(sandbox, stack.urls);
  say(`demo extension built with source maps (uploaded to triage): ${extensionDir}`);

  const profiles: BrowserContext[] = [];
  for (const name of ['a', 'b']) {
    const { context } = await launchWithExtension(
      path.join(sandbox.work, `profile-${name}`),
      extensionDir,
      { headed: args.headed === true },
    );
    profiles.push(context);
  }
  say('Chromium: two profiles (two installs) with the demo extension loaded');
  // The demo repository's own tests cover both bugs, so each fix's CI is green only once the
  // other bug's fix is on main too: the second bug is thrown after the first fix has merged.
  const bugs = ['paint-accent', 'show-badge'];
  const throwBug = async (button: string) => {
    for (const context of profiles) {
      const worker = context.serviceWorkers()[0];
      if (worker === undefined) throw new Error('the extension has no service worker');
      const page = await context.newPage();
      await page.goto(`chrome-extension://${new URL(worker.url()).host}/popup.html`);
      await page.click(`#${button}`);
    }
    say(`clicked "${button}" in both profiles: a bug thrown twice, by two installs`);
  };
  await throwBug(bugs.shift() ?? '');

  // Progress, printed as it happens, read from the same database the console shows.
  const seen = new Set<string>();
  const note = (key: string, line: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    say(`${((Date.now() - t0) / 1000).toFixed(1)}s  ${line}`);
  };
  let released = false;
  let closed = false;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const deadline = Date.now() + timeoutMs;
  while (!stop.signal.aborted) {
    const issues = await query<{ fingerprint: string; issue_number: number | null; title: string }>(
      `SELECT i.fingerprint, i.issue_number, f.title FROM triage_issues i JOIN fingerprints f
         ON f.extension_id = i.extension_id AND f.fingerprint = i.fingerprint`,
    );
    for (const i of issues) {
      if (i.issue_number !== null)
        note(`issue:${i.fingerprint}`, `issue #${i.issue_number} filed: ${i.title}`);
    }
    const runs = await query<{
      fingerprint: string;
      n: number;
      stage: string;
      candidate_source: string | null;
      pr_url: string | null;
    }>('SELECT fingerprint, n, stage, candidate_source, pr_url FROM fix_attempt_runs');
    for (const r of runs) {
      const what = `${r.fingerprint.slice(0, 16)} attempt ${r.n}`;
      if (r.pr_url !== null)
        note(
          `pr:${r.fingerprint}:${r.n}`,
          `${what}: fix by ${r.candidate_source} → draft PR ${r.pr_url}`,
        );
      if (r.stage === 'ci_green' || r.stage === 'merged')
        note(`green:${r.fingerprint}:${r.n}`, `${what}: CI green on the head SHA`);
      if (r.stage === 'ci_red')
        note(`red:${r.fingerprint}:${r.n}`, `${what}: CI red, will retry with the CI's feedback`);
      if (r.stage === 'merged')
        note(`merged:${r.fingerprint}:${r.n}`, `${what}: merged (head pinned)`);
    }
    const merged = runs.filter((r) => r.stage === 'merged').length;
    const next = bugs[0];
    if (next !== undefined && merged >= 2 - bugs.length) {
      bugs.shift();
      await throwBug(next);
    }
    if (!released && merged >= 2) {
      released = true;
      const config = await loadConfigFile(sandbox.configFile);
      const fetchFn = (request: Request) => fetch(request);
      const result = await runRelease(
        {
          config,
          zip: await packageZip(extensionDir, '1.0.1'),
          auth: createRefreshTokenSource(
            config.canary.oauthTokenUrl,
            {
              clientId: SANDBOX.cws.clientId,
              clientSecret: SANDBOX.cws.clientSecret,
              refreshToken: SANDBOX.cws.refreshToken,
            },
            { fetch: fetchFn },
          ),
          canary: { url: stack.urls['canary-monitor'], adminToken: SANDBOX.adminToken },
        },
        {
          fetch: fetchFn,
          log: () => {},
          sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 200))),
        },
      );
      // Triage learns which commit 1.0.1 was built from: every problem whose fix is in it is
      // resolved as fixed in 1.0.1 (and a later recurrence is a regression).
      const main = sandbox.github.emulator.git(SANDBOX.slug).resolve('main');
      const registered = await fetch(
        `${stack.urls.triage}/admin/releases/${SANDBOX.extensionId}/1.0.1`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${SANDBOX.adminToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ commitSha: main?.sha, buildDir: 'dist' }),
        },
      );
      const resolved = ((await registered.json()) as { resolved?: unknown[] }).resolved ?? [];
      note(
        'resolved',
        `release 1.0.1 registered with triage: ${resolved.length} problem(s) fixed in 1.0.1`,
      );
      note(
        'release',
        `released 1.0.1 to ${result.deployPercentage}% on the (emulated) store; rollout #${result.rolloutId} registered with canary-monitor`,
      );
    }
    const decisions = await query<{ decision: string; reasons: string; state_after: string }>(
      'SELECT decision, reasons, state_after FROM canary_decisions ORDER BY id',
    );
    for (const [i, d] of decisions.entries()) {
      note(
        `decision:${i}`,
        `canary judged the rollout: ${d.decision} ${d.reasons} → ${d.state_after}`,
      );
    }
    if (released && decisions.length > 0 && !closed) {
      closed = true;
      say(
        `the loop closed in ${((Date.now() - t0) / 1000).toFixed(1)}s: two bugs fixed and merged, the release is being judged`,
      );
      say(`look around: ${consoleUrl} (Problems, Fixes, Releases, Outbox, Settings)`);
      if (args.ci === true) break;
      say('still running; Ctrl-C stops everything');
    }
    if (args.ci === true && Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (args.ci === true && closed) {
    for (const page of ['', '/fixes', '/releases', '/outbox', '/settings']) {
      const res = await fetch(`${consoleUrl}${page}`);
      if (res.status !== 200) {
        say(`console page ${page || '/'} answered ${res.status}`);
        closed = false;
      }
    }
  }
  for (const context of profiles) await context.close();
  await stack.stop();
  await sandbox.close();
  if (args.ci === true && !closed) say(`the loop did not close within ${timeoutMs / 1000}s`);
  return args.ci === true && !closed ? 1 : 0;
}

process.exitCode = await main();
