import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'vitest';
import type { z } from 'zod';
import {
  CheckRunEventSchema,
  CheckSuiteEventSchema,
  IssueCommentEventSchema,
  IssuesEventSchema,
  PullRequestEventSchema,
  StatusEventSchema,
  WorkflowRunEventSchema,
} from '../../../workers/triage/src/webhook/webhook.schema.ts';
import { verifyGitHubSignature } from '../../../workers/triage/src/webhook/webhook-signature.ts';
import { commitThroughApi, nodeTestbed } from './node-testbed.ts';
import { loadWebhookExamples } from './webhook-examples.ts';
import type { EmulatorEvent } from './webhook-payloads.ts';
import { WebhookSender } from './webhook-sender.ts';

// What the emulator announces (issue 10, item 7): each state change, through the API or by a
// person, becomes the webhook GitHub would send, shaped like GitHub's real deliveries
// (@octokit/webhooks-examples) and readable by triage's own schemas; the sender signs and
// delivers them like GitHub, retries failures a bounded number of times and redelivers.

const SLUG = 'octo-org/widget';
const SECRET = 'It’s a Secret to Everybody';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keys every real example of this event and action has, recursively (first array elements
 * compared), that `mine` lacks; and leaves whose type differs from the examples' one type.
 */
function shapeGaps(mine: unknown, examples: unknown[], path: string, out: string[]): void {
  const objects = examples.filter(isObject);
  if (objects.length === 0 || !isObject(mine)) return;
  const keys = objects.map((o) => Object.keys(o)).reduce((a, b) => a.filter((k) => b.includes(k)));
  for (const key of keys) {
    const at = `${path}.${key}`;
    // Which permissions an app holds is its configuration, not the payload's shape.
    if (key === 'permissions' && path.endsWith('.app')) continue;
    if (!(key in mine)) {
      out.push(`missing ${at}`);
      continue;
    }
    const theirs = objects.map((o) => o[key]);
    const value = mine[key];
    const types = new Set(theirs.filter((t) => t !== null).map((t) => typeof t));
    if (value !== null && types.size === 1 && !types.has(typeof value)) {
      out.push(`type of ${at}: ${typeof value}, GitHub sends ${[...types][0]}`);
    }
    if (Array.isArray(value)) {
      if (value.length > 0) {
        shapeGaps(
          value[0],
          theirs.filter(Array.isArray).flatMap((a) => a.slice(0, 1)),
          `${at}[0]`,
          out,
        );
      }
    } else shapeGaps(value, theirs, at, out);
  }
}

const schemas: Record<string, z.ZodType> = {
  issues: IssuesEventSchema,
  issue_comment: IssueCommentEventSchema,
  pull_request: PullRequestEventSchema,
  check_run: CheckRunEventSchema,
  check_suite: CheckSuiteEventSchema,
  workflow_run: WorkflowRunEventSchema,
  status: StatusEventSchema,
};

function label(e: EmulatorEvent): string {
  return typeof e.payload.action === 'string' ? `${e.name}.${e.payload.action}` : e.name;
}

// biome-ignore lint/suspicious/noExplicitAny: payload assertions read GitHub's JSON
function find(events: EmulatorEvent[], name: string, nth = 0): any {
  const found = events.filter((e) => label(e) === name)[nth];
  if (found === undefined) throw new Error(`no ${name} #${nth}`);
  return found.payload;
}

/** Every flow the loop uses, through the API and by people; returns the events in order. */
async function runFlows() {
  const bed = await nodeTestbed();
  const { emulator, call } = bed;
  const base = await emulator.addRepo(SLUG, { files: { 'src/a.js': 'export const a = 1;\n' } });
  const issue = await call('POST', `/repos/${SLUG}/issues`, {
    title: 'TypeError in popup',
    labels: ['homeostat'],
  });
  await call('POST', `/repos/${SLUG}/issues/${issue.number}/labels`, { labels: ['class:safe'] });
  await call('DELETE', `/repos/${SLUG}/issues/${issue.number}/labels/class%3Asafe`);
  await call('POST', `/repos/${SLUG}/issues/${issue.number}/comments`, { body: 'Attempt 1' });
  const c1 = await commitThroughApi(
    call,
    SLUG,
    base,
    { 'src/a.js': 'export const a = 2;\n' },
    'Fix',
  );
  await call('POST', `/repos/${SLUG}/git/refs`, { ref: 'refs/heads/homeostat/fix-1', sha: c1 });
  const pr = await call('POST', `/repos/${SLUG}/pulls`, {
    title: 'Fix TypeError',
    head: 'homeostat/fix-1',
    base: 'main',
    body: `Fixes #${issue.number}`,
    draft: true,
  });
  await call('POST', `/repos/${SLUG}/issues/${pr.number}/labels`, { labels: ['homeostat'] });
  const c2 = await commitThroughApi(
    call,
    SLUG,
    c1,
    { 'src/a.js': 'export const a = 3;\n' },
    'Retry',
  );
  await call('PATCH', `/repos/${SLUG}/git/refs/heads/homeostat/fix-1`, { sha: c2 });
  const run = await call('POST', `/repos/${SLUG}/check-runs`, {
    name: 'lint',
    head_sha: c2,
    status: 'in_progress',
  });
  await call('PATCH', `/repos/${SLUG}/check-runs/${run.id}`, {
    conclusion: 'failure',
    output: {
      title: '1 problem',
      summary: 'a is reassigned',
      annotations: [
        { path: 'src/a.js', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'x' },
      ],
    },
  });
  const annotations = await call('GET', `/repos/${SLUG}/check-runs/${run.id}/annotations`);
  await call('POST', `/repos/${SLUG}/statuses/${c2}`, { state: 'success', context: 'ci/legacy' });
  const combined = await call('GET', `/repos/${SLUG}/commits/${c2}/status`);
  emulator.humanMarksReady(SLUG, pr.number);
  await call('PUT', `/repos/${SLUG}/pulls/${pr.number}/merge`, { sha: c2, merge_method: 'squash' });
  // People: a branch, a pull request on it, a second push, a merge; another one closed unmerged.
  const h1 = await emulator.humanPushes(SLUG, 'feature', { 'b.txt': 'one\n' });
  const human = emulator.humanOpensPr(SLUG, { head: 'feature', title: 'Feature' });
  const h2 = await emulator.humanPushes(SLUG, 'feature', { 'b.txt': 'two\n', 'src/a.js': null });
  const merge = await emulator.humanMerges(SLUG, human);
  await emulator.humanPushes(SLUG, 'idea', { 'c.txt': 'c\n' }, { login: 'hubot' });
  const closed = emulator.humanOpensPr(SLUG, { head: 'idea', title: 'Idea' }, 'hubot');
  emulator.humanClosesPr(SLUG, closed, 'hubot');
  emulator.humanLabels(SLUG, issue.number, 'do-not-fix');
  emulator.humanComments(SLUG, issue.number, '/homeostat retry');
  emulator.humanCloses(SLUG, issue.number);
  // GitHub Actions on the merge commit: a workflow run is a check suite of the Actions app.
  const job = emulator.createCheckRun(
    SLUG,
    {
      name: 'test',
      headSha: merge,
      status: 'queued',
      workflow: { name: 'CI', path: '.github/workflows/ci.yml', event: 'push' },
    },
    emulator.actionsApp,
  );
  emulator.updateCheckRun(SLUG, job.id, { status: 'in_progress' });
  emulator.updateCheckRun(SLUG, job.id, {
    conclusion: 'success',
    output: { title: '3 tests passed', summary: 'ok' },
  });
  return { ...bed, issue, pr, c1, c2, h1, h2, human, closed, merge, annotations, combined };
}

describe('webhooks of the GitHub emulator', () => {
  test('each change is announced with the event and action GitHub sends, in order', async ({
    expect,
  }) => {
    const { events, violations } = await runFlows();
    expect(events.map(label)).toEqual([
      'issues.opened',
      'issues.labeled',
      'issues.labeled',
      'issues.unlabeled',
      'issue_comment.created',
      'push', // the fix branch is created
      'pull_request.opened',
      'pull_request.labeled',
      'push', // the retry moves it
      'pull_request.synchronize',
      'check_run.created',
      'check_run.completed',
      'check_suite.completed',
      'status',
      'pull_request.ready_for_review',
      'pull_request.closed', // merged through the API
      'push', // main moves
      'push', // a person creates 'feature'
      'pull_request.opened',
      'push',
      'pull_request.synchronize',
      'pull_request.closed', // merged by the person
      'push',
      'push', // 'idea'
      'pull_request.opened',
      'pull_request.closed', // closed unmerged
      'issues.labeled',
      'issue_comment.created',
      'issues.closed',
      'workflow_run.requested',
      'check_run.created',
      'check_run.completed',
      'check_suite.completed',
      'workflow_run.completed',
    ]);
    expect(violations).toEqual([]);
  });

  test('payloads have every key (and leaf type) of the real deliveries of their event', async ({
    expect,
  }) => {
    const { events } = await runFlows();
    const examples = await loadWebhookExamples();
    const gaps: string[] = [];
    for (const e of events) {
      const ofEvent = examples.filter((x) => x.event === e.name).map((x) => x.payload as Json);
      const ofAction = ofEvent.filter((x) => x.action === e.payload.action);
      // The collection has no example of some actions (issues.closed): then the keys every
      // delivery of the event has, whatever its action.
      const same = ofAction.length > 0 ? ofAction : ofEvent;
      expect(same.length, label(e)).toBeGreaterThan(0);
      shapeGaps(e.payload, same, label(e), gaps);
    }
    expect([...new Set(gaps)]).toEqual([]);
  });

  test('triage reads every payload with its own schemas, and the fields it acts on are right', async ({
    expect,
  }) => {
    const r = await runFlows();
    for (const e of r.events) {
      const schema = schemas[e.name];
      if (schema !== undefined) expect(schema.safeParse(e.payload).error, label(e)).toBeUndefined();
      expect((e.payload.repository as Json).full_name).toBe(SLUG);
      expect((e.payload.installation as Json).id).toBe(1);
    }
    const { events } = r;
    expect(find(events, 'issues.opened').issue.number).toBe(r.issue.number);
    expect(find(events, 'issues.labeled', 2)).toMatchObject({
      label: { name: 'do-not-fix' },
      sender: { login: 'octocat', type: 'User' },
    });
    expect(find(events, 'issues.closed').sender.type).toBe('User');
    expect(find(events, 'issue_comment.created', 0)).toMatchObject({
      comment: { author_association: 'NONE', body: 'Attempt 1' },
      sender: { type: 'Bot', login: 'homeostat[bot]' },
    });
    expect(find(events, 'issue_comment.created', 1)).toMatchObject({
      comment: { author_association: 'OWNER', body: '/homeostat retry' },
      sender: { type: 'User' },
    });
    expect(find(events, 'push', 0)).toMatchObject({
      ref: 'refs/heads/homeostat/fix-1',
      before: '0'.repeat(40),
      after: r.c1,
      created: true,
      commits: [{ id: r.c1, modified: ['src/a.js'] }],
      head_commit: { id: r.c1 },
    });
    const opened = find(events, 'pull_request.opened');
    expect(opened).toMatchObject({
      number: r.pr.number,
      pull_request: { draft: true, head: { ref: 'homeostat/fix-1', sha: r.c1 }, merged: false },
    });
    expect(find(events, 'pull_request.labeled').label.name).toBe('homeostat');
    expect(find(events, 'pull_request.synchronize', 0)).toMatchObject({
      before: r.c1,
      after: r.c2,
      pull_request: { head: { sha: r.c2 } },
    });
    const completed = find(events, 'check_run.completed', 0);
    expect(completed.check_run).toMatchObject({
      name: 'lint',
      head_sha: r.c2,
      conclusion: 'failure',
      output: { title: '1 problem', summary: 'a is reassigned', annotations_count: 1 },
      pull_requests: [{ number: r.pr.number, head: { sha: r.c2, ref: 'homeostat/fix-1' } }],
      check_suite: { head_sha: r.c2, status: 'completed', conclusion: 'failure' },
    });
    expect(r.annotations).toEqual([
      expect.objectContaining({ path: 'src/a.js', start_line: 1, annotation_level: 'failure' }),
    ]);
    expect(find(events, 'check_suite.completed', 0).check_suite).toMatchObject({
      head_sha: r.c2,
      conclusion: 'failure',
      app: { slug: 'homeostat' },
    });
    expect(find(events, 'status')).toMatchObject({
      sha: r.c2,
      state: 'success',
      context: 'ci/legacy',
      branches: [{ name: 'homeostat/fix-1' }],
    });
    expect(r.combined).toMatchObject({ state: 'success', total_count: 1 });
    expect(find(events, 'pull_request.ready_for_review').pull_request.draft).toBe(false);
    expect(find(events, 'pull_request.closed', 0)).toMatchObject({
      pull_request: { merged: true, merged_by: { login: 'homeostat[bot]' } },
      sender: { login: 'homeostat[bot]' },
    });
    const humanSync = find(events, 'pull_request.synchronize', 1);
    expect(humanSync).toMatchObject({ before: r.h1, after: r.h2, sender: { type: 'User' } });
    expect(find(events, 'push', 4).commits[0]).toMatchObject({
      id: r.h2,
      modified: ['b.txt'],
      removed: ['src/a.js'],
      author: { name: 'octocat' },
    });
    expect(find(events, 'pull_request.closed', 1)).toMatchObject({
      number: r.human,
      pull_request: {
        merged: true,
        merge_commit_sha: r.merge,
        merged_by: { login: 'octocat', type: 'User' },
      },
    });
    expect(find(events, 'pull_request.closed', 2)).toMatchObject({
      number: r.closed,
      pull_request: { merged: false, merged_by: null, state: 'closed' },
      sender: { login: 'hubot' },
    });
    expect(find(events, 'workflow_run.completed')).toMatchObject({
      workflow: { name: 'CI', path: '.github/workflows/ci.yml' },
      workflow_run: { head_sha: r.merge, conclusion: 'success', status: 'completed', name: 'CI' },
      sender: { login: 'github-actions[bot]' },
    });
    expect(find(events, 'check_suite.completed', 1).check_suite.app.slug).toBe('github-actions');
  });
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers each request with the next planned status. */
async function receiver(plan: (n: number) => number) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(plan(received.length)).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`;
  return {
    url,
    received,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('webhook delivery', () => {
  test('signed as GitHub signs (HMAC-SHA256 of the raw body), in order, over HTTP', async ({
    expect,
  }) => {
    const hook = await receiver(() => 200);
    try {
      const { emulator } = await nodeTestbed();
      const sender = new WebhookSender({ url: hook.url, secret: SECRET });
      sender.attach(emulator);
      await emulator.addRepo(SLUG);
      const branch = await emulator.humanPushes(SLUG, 'feature', { 'x.txt': 'x' });
      const number = emulator.humanOpensPr(SLUG, { head: 'feature', title: 'X' });
      await emulator.humanMerges(SLUG, number);
      await sender.idle();
      expect(hook.received.map((r) => r.headers['x-github-event'])).toEqual([
        'push',
        'pull_request',
        'pull_request',
        'push',
      ]);
      const ids = new Set<string>();
      for (const r of hook.received) {
        const mac = createHmac('sha256', SECRET).update(r.body, 'utf8').digest('hex');
        const header = String(r.headers['x-hub-signature-256']);
        expect(timingSafeEqual(Buffer.from(header), Buffer.from(`sha256=${mac}`))).toBe(true);
        const sha1 = createHmac('sha1', SECRET).update(r.body, 'utf8').digest('hex');
        expect(r.headers['x-hub-signature']).toBe(`sha1=${sha1}`);
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
        // Triage's own verifier accepts it, and refuses it under another secret.
        const raw = new TextEncoder().encode(r.body).buffer;
        expect(await verifyGitHubSignature(SECRET, raw, header)).toBe(true);
        expect(await verifyGitHubSignature('other', raw, header)).toBe(false);
        ids.add(String(r.headers['x-github-delivery']));
      }
      expect([...ids].every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
      expect(ids.size).toBe(4);
      expect(JSON.parse(hook.received[0]?.body ?? '{}').after).toBe(branch);
      expect(sender.deliveries.every((d) => d.ok && d.attempts === 1)).toBe(true);
    } finally {
      await hook.close();
    }
  });

  test('retries 5xx and network failures a bounded number of times, never 4xx', async ({
    expect,
  }) => {
    const flaky = await receiver((n) => (n === 1 ? 502 : 202));
    const down = await receiver(() => 500);
    const refusing = await receiver(() => 401);
    try {
      const once = await new WebhookSender({ url: flaky.url, secret: SECRET }).send('ping', {
        zen: 'Keep it logically awesome.',
      });
      expect(once).toMatchObject({ ok: true, attempts: 2, status: 202 });
      expect(flaky.received.map((r) => r.headers['x-github-delivery'])).toEqual([once.id, once.id]);
      const failing = await new WebhookSender({
        url: down.url,
        secret: SECRET,
        maxAttempts: 4,
      }).send('ping', {});
      expect(failing).toMatchObject({ ok: false, attempts: 4, status: 500, error: 'HTTP 500' });
      expect(down.received).toHaveLength(4);
      const refused = await new WebhookSender({ url: refusing.url, secret: SECRET }).send(
        'ping',
        {},
      );
      expect(refused).toMatchObject({ ok: false, attempts: 1, status: 401 });
      await down.close();
      const unreachable = await new WebhookSender({ url: down.url, secret: SECRET }).send(
        'ping',
        {},
      );
      expect(unreachable).toMatchObject({ ok: false, attempts: 3, status: null });
    } finally {
      await flaky.close();
      await refusing.close();
    }
  });

  test('a redelivery carries the same delivery id and the same signed bytes', async ({
    expect,
  }) => {
    const hook = await receiver(() => 200);
    try {
      const { emulator } = await nodeTestbed();
      const sender = new WebhookSender({ url: hook.url, secret: SECRET, events: ['pull_request'] });
      sender.attach(emulator);
      await emulator.addRepo(SLUG);
      await emulator.humanPushes(SLUG, 'feature', { 'x.txt': 'x' });
      emulator.humanOpensPr(SLUG, { head: 'feature', title: 'X' });
      await sender.idle();
      expect(hook.received).toHaveLength(1); // push is not subscribed
      const first = sender.deliveries[0];
      if (first === undefined) throw new Error('no delivery');
      const again = await sender.redeliver(first.id);
      expect(again).toMatchObject({ id: first.id, redelivery: true, ok: true });
      const [a, b] = hook.received;
      expect(b?.headers['x-github-delivery']).toBe(a?.headers['x-github-delivery']);
      expect(b?.body).toBe(a?.body);
      expect(b?.headers['x-hub-signature-256']).toBe(a?.headers['x-hub-signature-256']);
    } finally {
      await hook.close();
    }
  });
});
