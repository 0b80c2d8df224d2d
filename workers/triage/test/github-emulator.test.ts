import { describe, inject, test } from 'vitest';
import { createGitHubTestbed } from '../../../test/emulators/github/github-testbed.ts';

// The emulator itself, driven with raw requests: every exchange is validated against GitHub's
// OpenAPI description, so a response shape the emulator gets wrong fails here first.
const index = inject('githubOpenApi');
const REPO = 'octo-org/widget';
const API = 'https://ghe.example.test/api/v3';
const GRAPHQL = 'https://ghe.example.test/api/graphql';
const MARK_READY =
  'mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { id number isDraft } } }';

async function setup() {
  const bed = createGitHubTestbed(index, { baseUrl: API, token: 't0ken' });
  await bed.emulator.addRepo(REPO, { files: { 'src/a.js': 'export const a = 1;\n' } });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await bed.fetch(
      new Request(`${API}${path}`, {
        method,
        headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      data: text === '' ? null : JSON.parse(text),
    };
  };
  /** GHES serves GraphQL at `<host>/api/graphql`, outside the REST base `<host>/api/v3`. */
  const graphql = async (
    query: string,
    variables: Record<string, unknown>,
    authorization: string | null = 'Bearer t0ken',
  ) => {
    const res = await bed.fetch(
      new Request(GRAPHQL, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization === null ? {} : { authorization }),
        },
        body: JSON.stringify({ query, variables }),
      }),
    );
    return { status: res.status, data: JSON.parse(await res.text()) };
  };
  return { ...bed, call, graphql };
}

describe('GitHub emulator (validated against @octokit/openapi)', () => {
  test('issues, labels and comments keep state like GitHub', async ({ expect }) => {
    const { call, violations, emulator } = await setup();
    const created = await call('POST', `/repos/${REPO}/issues`, {
      title: 'Crash',
      body: 'text',
      labels: ['homeostat', 'fingerprint:abcd1234'],
    });
    expect(created.status).toBe(201);
    expect(created.data.number).toBe(1);
    expect(created.data.labels.map((l: { name: string }) => l.name)).toEqual([
      'homeostat',
      'fingerprint:abcd1234',
    ]);
    expect(created.headers.get('x-ratelimit-remaining')).toBe('4999');
    const listed = await call('GET', `/repos/${REPO}/issues?labels=fingerprint:abcd1234&state=all`);
    expect(listed.data.map((i: { number: number }) => i.number)).toEqual([1]);
    expect((await call('GET', `/repos/${REPO}/issues?labels=other`)).data).toEqual([]);
    const labels = await call('POST', `/repos/${REPO}/issues/1/labels`, { labels: ['class:safe'] });
    expect(labels.data).toHaveLength(3);
    const removed = await call(
      'DELETE',
      `/repos/${REPO}/issues/1/labels/${encodeURIComponent('class:safe')}`,
    );
    expect(removed.data).toHaveLength(2);
    expect((await call('DELETE', `/repos/${REPO}/issues/1/labels/nope`)).status).toBe(404);
    const comment = await call('POST', `/repos/${REPO}/issues/1/comments`, { body: 'hello' });
    expect(comment.status).toBe(201);
    expect((await call('GET', `/repos/${REPO}/issues/1/comments`)).data).toHaveLength(1);
    const closed = await call('PATCH', `/repos/${REPO}/issues/1`, { state: 'closed' });
    expect(closed.data).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect((await call('GET', `/repos/${REPO}/issues`)).data).toEqual([]);
    const reopened = await call('PATCH', `/repos/${REPO}/issues/1`, { state: 'open', body: 'new' });
    expect(reopened.data).toMatchObject({ state: 'open', state_reason: 'reopened', body: 'new' });
    expect((await call('GET', `/repos/${REPO}/labels`)).data).toHaveLength(3);
    expect((await call('GET', `/repos/${REPO}/issues/99`)).status).toBe(404);
    expect(emulator.issues(REPO)).toHaveLength(1);
    expect(violations).toEqual([]);
  });

  test('git data, contents, pulls, merges and checks', async ({ expect }) => {
    const { call, graphql, violations } = await setup();
    const main = await call('GET', `/repos/${REPO}/git/ref/heads/main`);
    const baseSha: string = main.data.object.sha;
    const file = await call('GET', `/repos/${REPO}/contents/src/a.js`);
    expect(atob(file.data.content.replace(/\n/g, ''))).toBe('export const a = 1;\n');
    // git's own blob hash of that content (`git hash-object`).
    expect(file.data.sha).toBe('cc798ff50da9473effe8bdb31c8c120fe42b61e3');
    const blob = await call('POST', `/repos/${REPO}/git/blobs`, {
      content: 'export const a = 2;\n',
    });
    const baseCommit = await call('GET', `/repos/${REPO}/git/commits/${baseSha}`);
    const tree = await call('POST', `/repos/${REPO}/git/trees`, {
      base_tree: baseCommit.data.tree.sha,
      tree: [{ path: 'src/a.js', mode: '100644', type: 'blob', sha: blob.data.sha }],
    });
    expect(tree.status).toBe(201);
    const commit = await call('POST', `/repos/${REPO}/git/commits`, {
      message: 'fix',
      tree: tree.data.sha,
      parents: [baseSha],
    });
    expect(commit.data.parents[0].sha).toBe(baseSha);
    const ref = await call('POST', `/repos/${REPO}/git/refs`, {
      ref: 'refs/heads/homeostat/abcd1234-fix',
      sha: commit.data.sha,
    });
    expect(ref.status).toBe(201);
    expect(
      (
        await call('POST', `/repos/${REPO}/git/refs`, {
          ref: 'refs/heads/homeostat/abcd1234-fix',
          sha: commit.data.sha,
        })
      ).status,
    ).toBe(422);
    const recursive = await call('GET', `/repos/${REPO}/git/trees/${tree.data.sha}?recursive=1`);
    expect(recursive.data.tree.map((e: { path: string }) => e.path)).toEqual(['src', 'src/a.js']);
    const pr = await call('POST', `/repos/${REPO}/pulls`, {
      title: 'Fix',
      head: 'homeostat/abcd1234-fix',
      base: 'main',
      body: 'b',
      draft: true,
    });
    expect(pr.status).toBe(201);
    expect(pr.data).toMatchObject({ number: 1, draft: true, head: { sha: commit.data.sha } });
    const run = await call('POST', `/repos/${REPO}/check-runs`, {
      name: 'test',
      head_sha: commit.data.sha,
      status: 'in_progress',
    });
    expect(run.data.pull_requests[0].number).toBe(1);
    await call('PATCH', `/repos/${REPO}/check-runs/${run.data.id}`, { conclusion: 'success' });
    const suites = await call('GET', `/repos/${REPO}/commits/${commit.data.sha}/check-suites`);
    expect(suites.data.check_suites[0]).toMatchObject({
      status: 'completed',
      conclusion: 'success',
    });
    const runs = await call('GET', `/repos/${REPO}/commits/${commit.data.sha}/check-runs`);
    expect(runs.data.total_count).toBe(1);
    // A draft is not merged through the API; "Ready for review" exists only in GraphQL.
    const draftMerge = await call('PUT', `/repos/${REPO}/pulls/1/merge`, { sha: commit.data.sha });
    expect(draftMerge).toMatchObject({
      status: 405,
      data: { message: 'Pull Request is still a draft' },
    });
    const ready = await graphql(MARK_READY, { id: pr.data.node_id });
    expect(ready.data).toEqual({
      data: {
        markPullRequestReadyForReview: {
          pullRequest: { id: pr.data.node_id, number: 1, isDraft: false },
        },
      },
    });
    expect((await call('GET', `/repos/${REPO}/pulls/1`)).data.draft).toBe(false);
    expect((await call('PUT', `/repos/${REPO}/pulls/1/merge`, { sha: baseSha })).status).toBe(409);
    const merged = await call('PUT', `/repos/${REPO}/pulls/1/merge`, {
      sha: commit.data.sha,
      merge_method: 'squash',
    });
    expect(merged.data.merged).toBe(true);
    expect((await call('GET', `/repos/${REPO}/pulls/1/merge`)).status).toBe(204);
    const after = await call('GET', `/repos/${REPO}/contents/src/a.js?ref=main`);
    expect(atob(after.data.content.replace(/\n/g, ''))).toBe('export const a = 2;\n');
    expect((await call('GET', `/repos/${REPO}/pulls?state=closed`)).data).toHaveLength(1);
    const branch2 = await call('POST', `/repos/${REPO}/git/refs`, {
      ref: 'refs/heads/other',
      sha: baseSha,
    });
    expect(branch2.status).toBe(201);
    const merge = await call('POST', `/repos/${REPO}/merges`, { base: 'other', head: 'main' });
    expect(merge.status).toBe(201);
    expect(
      (await call('POST', `/repos/${REPO}/merges`, { base: 'other', head: 'main' })).status,
    ).toBe(204);
    expect(violations).toEqual([]);
  });

  test('GraphQL: only the ready-for-review mutation, at GHES /api/graphql, with a token', async ({
    expect,
  }) => {
    const { call, graphql, emulator, violations } = await setup();
    const events: string[] = [];
    emulator.onEvent((e) => events.push(`${e.name}.${String(e.payload.action)}`));
    await call('POST', `/repos/${REPO}/git/refs`, {
      ref: 'refs/heads/topic',
      sha: emulator.git(REPO).refs.get('refs/heads/main'),
    });
    await emulator.humanPushes(REPO, 'topic', { 'src/b.js': '1;\n' });
    const pr = await call('POST', `/repos/${REPO}/pulls`, {
      title: 'Topic',
      head: 'topic',
      base: 'main',
      draft: true,
    });
    const id: string = pr.data.node_id;
    expect(id).toMatch(/^[A-Za-z0-9+/=_-]{8,}$/);
    // Unlike REST, GraphQL serves no anonymous request; a wrong token is refused as for REST.
    expect((await graphql(MARK_READY, { id }, null)).status).toBe(401);
    expect((await graphql(MARK_READY, { id }, 'Bearer wrong')).status).toBe(401);
    // Anything but the mutation, or a bad id: GraphQL-style errors with 200, as GitHub answers.
    const other = await graphql('query { viewer { login } }', {});
    expect(other.status).toBe(200);
    expect(other.data.errors).toHaveLength(1);
    expect((await graphql(MARK_READY, {})).data.errors).toHaveLength(1);
    expect((await graphql(MARK_READY, { id: 'PR_nope' })).data).toMatchObject({
      data: { markPullRequestReadyForReview: null },
      errors: [{ type: 'NOT_FOUND' }],
    });
    expect(emulator.pull(REPO, pr.data.number).draft).toBe(true);
    events.length = 0;
    const ok = await graphql(MARK_READY, { id });
    expect(ok.data.data.markPullRequestReadyForReview.pullRequest).toEqual({
      id,
      number: pr.data.number,
      isDraft: false,
    });
    expect(events).toEqual(['pull_request.ready_for_review']);
    // Twice is harmless: still ready, no second event.
    expect((await graphql(MARK_READY, { id })).data.data).toBeDefined();
    expect(events).toHaveLength(1);
    emulator.humanClosesPr(REPO, pr.data.number);
    expect((await graphql(MARK_READY, { id })).data.errors[0].type).toBe('UNPROCESSABLE');
    expect(violations).toEqual([]);
    // Only the GraphQL URL itself is exempt from REST validation: GHES has no /api/v3/graphql.
    const misplaced = await call('POST', '/graphql', { query: MARK_READY, variables: { id } });
    expect(misplaced.status).toBe(422);
    expect(violations.map((v) => v.operation)).toEqual(['POST /graphql']);
  });

  test('rate-limit headers, quota exhaustion, auth and injected faults', async ({ expect }) => {
    const { call, emulator, violations } = await setup();
    emulator.setRateLimit({ remaining: 0, resetAt: 2_000_000_000 });
    const limited = await call('GET', `/repos/${REPO}/issues`);
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe('2000000000');
    emulator.setRateLimit({ remaining: 10 });
    emulator.injectFault({ method: 'GET', status: 502, times: 1 });
    expect((await call('GET', `/repos/${REPO}/issues`)).status).toBe(502);
    expect((await call('GET', `/repos/${REPO}/issues`)).status).toBe(200);
    const anonymous = await emulator.fetch(new Request(`${API}/repos/${REPO}/issues`));
    expect(anonymous.status).toBe(401);
    expect(violations).toEqual([]);
  });

  test('the validator catches requests and responses that GitHub would not accept or send', async ({
    expect,
  }) => {
    const { call, violations } = await setup();
    await call('POST', `/repos/${REPO}/issues`, { title: 'x', labels: 'not-an-array' });
    await call('GET', `/repos/${REPO}/issues?state=sometimes`);
    await call('POST', `/repos/${REPO}/issues/1/not-an-endpoint`, {});
    expect(violations.map((v) => v.problem)).toEqual([
      expect.stringContaining('body: labels'),
      expect.stringContaining('query parameter state'),
      'no such operation in GitHub’s REST API description',
    ]);
  });
});
