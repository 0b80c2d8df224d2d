import { describe, test } from 'vitest';
import { tokenCredentials } from '../src/github/github-auth.ts';
import { GitHubClient } from '../src/github/github-client.ts';
import { requests } from '../src/github/github-request.ts';
import { createClock } from './support/clock.ts';
import { GITHUB_TOKEN, githubTestbed } from './support/github.ts';

const REPO = 'homeostat-demo/demo-extension';
const ISSUES = /^\/repos\/[^/]+\/[^/]+\/issues$/;

async function setup(token = GITHUB_TOKEN) {
  const clock = createClock();
  // A GitHub Enterprise-style base URL: the same code, only the URL differs (issue 5, item 1).
  const bed = githubTestbed({ now: clock.now, baseUrl: 'https://ghe.example.test/api/v3' });
  await bed.emulator.addRepo(REPO);
  const client = new GitHubClient({
    baseUrl: bed.baseUrl,
    credentials: tokenCredentials(token),
    fetch: bed.clientFetch,
    now: clock.now,
    sleep: clock.sleep,
  });
  return { ...bed, clock, client };
}

const list = requests.listIssues(REPO, { labels: ['homeostat'], state: 'all' });
const create = requests.createIssue(REPO, { title: 't', body: 'b', labels: ['homeostat'] });

describe('GitHub client', () => {
  test('sends authenticated requests under the configured base URL', async ({ expect }) => {
    const { client, emulator, violations } = await setup();
    const res = await client.send(create);
    expect(res.status).toBe(201);
    expect(emulator.issues(REPO).map((i) => i.title)).toEqual(['t']);
    expect(client.rateLimit?.remaining).toBe(4999);
    expect(violations).toEqual([]);
  });

  test('a secondary rate limit with retry-after is waited out and retried', async ({ expect }) => {
    const { client, emulator, clock, violations } = await setup();
    emulator.injectFault({
      method: 'POST',
      path: ISSUES,
      status: 403,
      headers: { 'retry-after': '3' },
      body: { message: 'You have exceeded a secondary rate limit', documentation_url: '' },
    });
    await client.send(create);
    expect(clock.sleeps).toEqual([3_000]);
    // A refused create is safe to repeat: GitHub did not act on it. Exactly one issue results.
    expect(emulator.requests.map((r) => r.status)).toEqual([403, 201]);
    expect(emulator.issues(REPO)).toHaveLength(1);
    expect(violations).toEqual([]);
  });

  test('429 without retry-after waits a minute: too long inline, so it is returned as retryable', async ({
    expect,
  }) => {
    const { client, emulator, clock } = await setup();
    emulator.injectFault({ status: 429 });
    const err = await client.send(list).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'github_rate_limited',
      retryable: true,
      retryAfterSeconds: 60,
    });
    expect(clock.sleeps).toEqual([]);
  });

  test('an exhausted primary quota waits for the reset when it is near', async ({ expect }) => {
    const { client, emulator, clock, violations } = await setup();
    const resetAt = Math.floor(clock.now() / 1000) + 5;
    emulator.setRateLimit({ remaining: 0, resetAt });
    const res = await client.send(list);
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([6_000]);
    expect(emulator.requests.map((r) => r.status)).toEqual([403, 200]);
    expect(violations).toEqual([]);
  });

  test('an exhausted primary quota with a distant reset stops sending at all', async ({
    expect,
  }) => {
    const { client, emulator, clock } = await setup();
    emulator.setRateLimit({ remaining: 0, resetAt: Math.floor(clock.now() / 1000) + 1800 });
    const first = await client.send(list).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'github_rate_limited', retryAfterSeconds: 1801 });
    const second = await client.send(list).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'github_rate_limited' });
    expect(emulator.requests).toHaveLength(1);
  });

  test('5xx on an idempotent request is retried with exponential backoff', async ({ expect }) => {
    const { client, emulator, clock, violations } = await setup();
    emulator.injectFault({ method: 'GET', status: 502, times: 2 });
    const res = await client.send(list);
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([1_000, 2_000]);
    expect(violations).toEqual([]);
  });

  test('persistent 5xx gives up after the bounded number of attempts', async ({ expect }) => {
    const { client, emulator, clock } = await setup();
    emulator.injectFault({ method: 'GET', status: 503, times: 10 });
    const err = await client.send(list).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'github_unavailable', retryable: true, upstreamStatus: 503 });
    expect(emulator.requests).toHaveLength(4);
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
  });

  test('5xx on a create is not blindly repeated: its outcome is unknown', async ({ expect }) => {
    const { client, emulator } = await setup();
    emulator.injectFault({ method: 'POST', path: ISSUES, status: 500 });
    const err = await client.send(create).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'github_unavailable', retryable: true });
    expect(emulator.requests).toHaveLength(1);
  });

  test('other 4xx are final, and a bad token is one of them', async ({ expect }) => {
    const { client } = await setup();
    const missing = await client.send(requests.getIssue(REPO, 42)).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'github_rejected',
      retryable: false,
      upstreamStatus: 404,
    });
    const { client: badToken } = await setup('wrong');
    const denied = await badToken.send(list).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'github_rejected', upstreamStatus: 401 });
  });
});
