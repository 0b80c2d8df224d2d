import { env } from 'cloudflare:workers';
import { parseHomeostatConfig } from '@homeostat/shared';
import { describe, expect, test } from 'vitest';
import { processFingerprintMessage } from '../../src/fingerprint-pipeline.ts';
import { OutboxGitHubGateway } from '../../src/github/github-gateway.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, REPO_A } from '../support/config.ts';
import { seedFingerprint } from '../support/fingerprints.ts';
import { fingerprintMessage } from '../support/queue.ts';

/**
 * Triage feeds the fix queue (issue 10, item 1) only when the attempt gate is open and the day's
 * model budget is not spent; the message names the next attempt.
 */

const clock = createClock();
const config = parseHomeostatConfig({
  version: 1,
  extensions: [
    { id: EXT_A, name: 'notes', ingestKeys: ['hs_pub_notes_key_000000001'], repo: REPO_A },
  ],
  repositories: [{ slug: REPO_A, paths: { include: ['src/**'] } }],
  models: {
    providers: [
      {
        name: 'cheap',
        baseUrl: 'https://models.example.test/v1',
        model: 'm',
        pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 },
      },
    ],
    budget: { perRunUsd: 1, perDayUsd: 2 },
  },
  canary: {},
});

async function feed(fp: string) {
  const sent: unknown[] = [];
  await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
  const outcome = await processFingerprintMessage(
    {
      db: env.DB,
      config,
      github: new OutboxGitHubGateway(env.DB, clock.now),
      now: clock.now,
      runId: `run-${fp}`,
      fixQueue: { send: async (m: unknown) => void sent.push(m) } as unknown as Queue,
    },
    fingerprintMessage(EXT_A, fp) as never,
  );
  return { outcome, sent };
}

describe('the fix queue feed', () => {
  test('an eligible problem queues attempt 1', async () => {
    const fp = `fp1:${'a1'.repeat(16)}`;
    const { outcome, sent } = await feed(fp);
    expect(outcome.decision).toBe('eligible');
    expect(sent).toEqual([
      { v: 1, kind: 'fix', fingerprintId: fp, extensionId: EXT_A, attempt: 1 },
    ]);
  });

  test('a spent day budget queues nothing and says why', async () => {
    await env.DB.prepare(
      `INSERT INTO fix_model_calls (run_id, repo, extension_id, fingerprint, attempt, provider, model,
         status, cost_usd, started_at, latency_ms) VALUES ('r', ?1, ?2, 'fp', 1, 'cheap', 'm', 'ok', 2.5, ?3, 10)`,
    )
      .bind(REPO_A.toLowerCase(), EXT_A, clock.now())
      .run();
    const { outcome, sent } = await feed(`fp1:${'b2'.repeat(16)}`);
    expect(outcome.decision).toBe('day_budget');
    expect(sent).toEqual([]);
  });
});
