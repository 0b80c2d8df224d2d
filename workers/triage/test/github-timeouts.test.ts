import { describe, test } from 'vitest';
import { TriageError } from '../src/errors.ts';
import { tokenCredentials } from '../src/github/github-auth.ts';
import { GitHubClient } from '../src/github/github-client.ts';
import { requests } from '../src/github/github-request.ts';
import { createClock } from './support/clock.ts';
import { GITHUB_TOKEN, githubTestbed } from './support/github.ts';

/**
 * Every GitHub request has a deadline (issue 11, item 4). The emulator's `hang` fault keeps the
 * request open until the client's own signal aborts it; the deadline here is 40 ms so a hang
 * costs the suite almost nothing (the backoff between tries runs on the test clock).
 */

const REPO = 'homeostat-demo/demo-extension';
const ISSUES = /^\/repos\/[^/]+\/[^/]+\/issues$/;
const DEADLINE_MS = 40;

async function setup() {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now });
  await bed.emulator.addRepo(REPO);
  const client = new GitHubClient({
    baseUrl: bed.baseUrl,
    credentials: tokenCredentials(GITHUB_TOKEN),
    fetch: bed.clientFetch,
    now: clock.now,
    sleep: clock.sleep,
    timeoutMs: DEADLINE_MS,
  });
  return { ...bed, clock, client };
}

const list = requests.listIssues(REPO, { labels: ['homeostat'], state: 'all' });
const create = requests.createIssue(REPO, { title: 't', body: 'b', labels: ['homeostat'] });

async function failure(promise: Promise<unknown>): Promise<TriageError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof TriageError)) throw err;
  return err;
}

describe('GitHub client deadlines', () => {
  test('a hung read is retried after backoff, like a network failure', async ({ expect }) => {
    const { client, emulator, clock, violations } = await setup();
    emulator.injectFault({ method: 'GET', path: ISSUES, status: 0, hang: true });
    const res = await client.send(list);
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([1_000]);
    expect(violations).toEqual([]);
  });

  test('a read that keeps hanging ends as retryable github_unavailable', async ({ expect }) => {
    const { client, emulator } = await setup();
    emulator.injectFault({ method: 'GET', path: ISSUES, status: 0, hang: true, times: 10 });
    const err = await failure(client.send(list));
    expect(err.code).toBe('github_unavailable');
    expect(err.retryable).toBe(true);
    expect(err.internal).toBe(
      `GET /repos/${REPO}/issues: no answer within ${DEADLINE_MS} ms after 4 attempt(s)`,
    );
  });

  test('a create GitHub applied but never answered is not sent again blind', async ({ expect }) => {
    const { client, emulator } = await setup();
    emulator.injectFault({
      method: 'POST',
      path: ISSUES,
      status: 0,
      hang: true,
      afterHandling: true,
    });
    const err = await failure(client.send(create));
    // Outcome unknown: retryable, so the caller looks for the issue before creating it again.
    expect(err.code).toBe('github_unavailable');
    expect(err.retryable).toBe(true);
    expect(emulator.issues(REPO)).toHaveLength(1);
  });
});
