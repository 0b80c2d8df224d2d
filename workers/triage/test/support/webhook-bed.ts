import { env } from 'cloudflare:workers';
import type { HomeostatConfig } from '@homeostat/shared';
import { inject } from 'vitest';
import { createTriageApp } from '../../src/app.ts';
import { signGitHubPayload } from '../../src/webhook/webhook-signature.ts';
import { createClock } from './clock.ts';
import { API_BASE, EXT_A, REPO_A, testConfig } from './config.ts';
import { freshFingerprint } from './fingerprints.ts';
import { GITHUB_TOKEN, githubTestbed } from './github.ts';

/** The triage app's webhook route wired to the GitHub emulator, with signed deliveries. */

export const SECRET = 'webhook-secret-for-tests';
const examples = () => inject('webhookExamples');

export function example(event: string, action?: string): Record<string, unknown> {
  const found = examples().find(
    (e) =>
      e.event === event &&
      (action === undefined || (e.payload as { action?: string }).action === action),
  );
  if (found === undefined) throw new Error(`no ${event}.${action} example`);
  return structuredClone(found.payload) as Record<string, unknown>;
}

/** A real example payload, moved to our repository and issue. */
export function forRepo(
  payload: Record<string, unknown>,
  repo: string,
  patch: Record<string, unknown> = {},
) {
  const repository = { ...(payload.repository as object), full_name: repo };
  return { ...payload, repository, ...patch };
}

export async function webhookBed(
  bindings: Partial<Env> = {},
  config: HomeostatConfig = testConfig(),
) {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now, baseUrl: API_BASE });
  await bed.emulator.addRepo(REPO_A, {
    firstIssueNumber: 1 + Math.floor(Math.random() * 1e6) * 10,
  });
  const app = createTriageApp(config, {
    fetch: bed.clientFetch,
    now: clock.now,
    sleep: clock.sleep,
  });
  const e: Env = { ...env, GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN, ...bindings };
  const post = async (
    event: string,
    payload: unknown,
    options: { delivery?: string; signature?: string | null; raw?: string } = {},
  ) => {
    const body = options.raw ?? JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? crypto.randomUUID(),
    };
    const signature =
      options.signature === undefined ? await signGitHubPayload(SECRET, body) : options.signature;
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    return app.request('/github/webhook', { method: 'POST', headers, body }, e);
  };
  return { ...bed, clock, app, env: e, post };
}

let comments = 0;
/** GitHub's comment ids are unique; D1 is shared by a file's tests, so each comment has its own. */
export function commentId(): number {
  comments++;
  return 900_000_000 + comments * 1000 + Math.floor(Math.random() * 1000);
}

/** A Homeostat issue on GitHub and in D1, as the consumer would have left it. */
export async function homeostatIssue(h: WebhookBed) {
  const fingerprint = freshFingerprint();
  const res = await h.clientFetch(`${API_BASE}/repos/${REPO_A}/issues`, {
    method: 'POST',
    headers: { authorization: `Bearer ${GITHUB_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 't', body: 'b', labels: ['homeostat'] }),
  });
  const { number } = (await res.json()) as { number: number };
  await env.DB.prepare(
    `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, issue_number, created_at, updated_at)
     VALUES (?1, ?2, ?3, 'open', ?4, 0, 0)`,
  )
    .bind(REPO_A, EXT_A, fingerprint, number)
    .run();
  return { fingerprint, number, key: { repo: REPO_A, extensionId: EXT_A, fingerprint } };
}

export type WebhookBed = Awaited<ReturnType<typeof webhookBed>>;
