import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import {
  createModelEmulator,
  type ModelEmulator,
  modelFetch,
  step,
} from '../../../../test/emulators/model/model-emulator.ts';
import {
  ambiguousSearch,
  block,
  correctFix,
  malformed as malformedAnswer,
} from '../../../../test/emulators/model/scripted-answers.ts';
import type { Candidate } from '../../src/fix/fix.types.ts';
import { buildFixPrompt, estimatePromptTokens } from '../../src/fix/model/fix-prompt.ts';
import { recordModelCall } from '../../src/fix/model/model-call-store.ts';
import {
  backoffMs,
  MAX_RETRIES,
  type ModelProposal,
  proposeModelCandidates,
} from '../../src/fix/model/model-fixer.ts';
import { worstCaseUsd } from '../../src/fix/model/model-routing.ts';
import { createClock } from '../support/clock.ts';
import {
  BUG_LINE,
  FIX_LINE,
  fixContext,
  modelConfig,
  POPUP,
  POPUP_PATH,
  type ProviderSpec,
  PUBLIC_REPO,
  REPO,
} from './model-fixtures.ts';

// The model fixer end to end against the model emulator (through the real `openai` client and
// the injected fetch) and real local D1 (issue 9, item 5).

const DAY = 86_400_000;
let days = 0; // two apart per test: "yesterday" of one test is no other test's today
let runs = 0;

const SECRET_VALUES = ['sk-cheap-secret-0001', 'sk-strong-secret-0002', 'sk-private-secret-003'];

function keyOf(p: ProviderSpec): string {
  return p.apiKeySecret ?? `${p.name.toUpperCase().replace(/-/g, '_')}_KEY`;
}

/**
 * Providers behind emulators, a clock on a day of its own (the day budget spans all runs in D1),
 * and a fresh run id.
 */
function setup(
  providers: (ProviderSpec & { key?: string | null })[],
  options: { candidates?: number; perRunUsd?: number; perDayUsd?: number } = {},
) {
  days += 2;
  runs++;
  const clock = createClock(Date.parse('2030-01-01T06:00:00.000Z') + days * DAY);
  const emulators = new Map<string, ModelEmulator>();
  const bindings: Record<string, unknown> = {
    GITHUB_TOKEN: 'ghp_never_in_a_prompt_0001',
    ADMIN_TOKEN: 'admin-never-in-a-prompt',
  };
  providers.forEach((p, i) => {
    const key = p.key === undefined ? (SECRET_VALUES[i] ?? `sk-${p.name}`) : p.key;
    if (key !== null) bindings[keyOf(p)] = key;
    emulators.set(
      p.name,
      createModelEmulator({
        baseUrl: p.baseUrl,
        ...(key === null ? {} : { apiKey: key }),
        now: clock.now,
      }),
    );
  });
  const config = modelConfig(providers, options);
  const runId = `run-model-${runs}`;
  const deps = {
    db: env.DB,
    env: bindings,
    config,
    fetch: modelFetch(...emulators.values()),
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0,
    runId,
  };
  const em = (name: string) => {
    const e = emulators.get(name);
    if (e === undefined) throw new Error(`no emulator ${name}`);
    return e;
  };
  return { clock, deps, config, runId, em, bindings };
}

const CHEAP: ProviderSpec = { name: 'cheap', baseUrl: 'https://cheap.model.test/v1' };
const STRONG: ProviderSpec = {
  name: 'strong',
  baseUrl: 'https://strong.model.test/v1',
  tier: 2,
  input: 1.25,
  output: 10,
};
const PRIVATE: ProviderSpec = {
  name: 'private',
  baseUrl: 'https://private.model.test/v1',
  privateCode: true,
};

const FIX = correctFix(POPUP_PATH, BUG_LINE, FIX_LINE);
const publicCtx = () => fixContext({ repo: PUBLIC_REPO });

const CallRow = (r: Record<string, unknown>) => ({
  provider: r.provider,
  status: r.status,
  http_status: r.http_status,
  choices: r.choices,
  input_tokens: r.input_tokens,
  output_tokens: r.output_tokens,
  usage_estimated: r.usage_estimated,
  cost_usd: r.cost_usd,
});

async function callRows(runId: string) {
  const { results } = await env.DB.prepare(
    'SELECT * FROM fix_model_calls WHERE run_id = ?1 ORDER BY id',
  )
    .bind(runId)
    .all<Record<string, unknown>>();
  return results;
}

function candidatesOf(out: ModelProposal): Candidate[] {
  if (!out.ok) throw new Error(`expected candidates, got ${out.reason}`);
  return out.candidates;
}

describe('candidates and the vote', () => {
  test('n answers in one call, applied, voted and costed', async ({ expect }) => {
    const { deps, em, runId } = setup([CHEAP]);
    em('cheap').script(
      step.answer([FIX, FIX, FIX], { prompt_tokens: 1_200, completion_tokens: 300 }),
    );
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    const [candidate, ...rest] = candidatesOf(out);
    expect(rest).toEqual([]);
    const cost = (1_200 * 0.28 + 300 * 0.42) / 1e6;
    expect(candidate?.changes).toEqual([
      { path: POPUP_PATH, before: POPUP, after: POPUP.replace(BUG_LINE, FIX_LINE) },
    ]);
    expect(candidate?.summary).toBe(`Changes 2 lines in ${POPUP_PATH} (+1 -1)`);
    const rows = await callRows(runId);
    expect(rows.map(CallRow)).toEqual([
      {
        provider: 'cheap',
        status: 'ok',
        http_status: 200,
        choices: 3,
        input_tokens: 1_200,
        output_tokens: 300,
        usage_estimated: 0,
        cost_usd: cost,
      },
    ]);
    expect(candidate?.source).toEqual({
      kind: 'model',
      provider: 'cheap',
      model: 'cheap-model',
      callIds: [rows[0]?.id],
      votes: 3,
      of: 3,
      costUsd: cost,
      inputTokens: 1_200,
      outputTokens: 300,
    });
    expect(out).toMatchObject({ ok: true, calls: 1, costUsd: cost, malformed: [] });
    // What was asked: the configured model, n, the output cap, a system and a user message.
    const [request] = em('cheap').received;
    expect(request).toMatchObject({ model: 'cheap-model', n: 3, max_completion_tokens: 2_000 });
    expect(request?.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(JSON.stringify(request)).toContain(
      "Cannot read properties of undefined (reading 'length')",
    );
    expect(em('cheap').pending).toBe(0);
  });

  test('most votes first; whitespace-only differences vote together', async ({ expect }) => {
    const { deps, em } = setup([CHEAP]);
    const other = correctFix(
      POPUP_PATH,
      BUG_LINE,
      '  label.textContent = String(notes?.items.length);',
    );
    const sameFixOtherSpacing = correctFix(
      POPUP_PATH,
      BUG_LINE.trim(),
      '    label.textContent  =  String(notes?.items?.length ?? 0);',
    );
    em('cheap').script(step.answer([other, FIX, sameFixOtherSpacing]));
    const candidates = candidatesOf(
      await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }),
    );
    expect(
      candidates.map((c) => c.source.kind === 'model' && [c.source.votes, c.source.of]),
    ).toEqual([
      [2, 3],
      [1, 3],
    ]);
    // The group's earliest answer stands for it.
    expect(candidates[0]?.changes[0]?.after).toContain(FIX_LINE);
    expect(candidates[1]?.changes[0]?.after).toContain('notes?.items.length');
  });

  test('a tie goes to the smaller diff', async ({ expect }) => {
    const { deps, em } = setup([CHEAP], { candidates: 2 });
    const bigger = correctFix(
      POPUP_PATH,
      `  const label = root.querySelector('#count');\n${BUG_LINE}`,
      `  const label = root.querySelector('#count');\n  if (!label) return;\n  if (!notes) return;\n  if (!notes.items) return;\n${BUG_LINE}`,
    );
    em('cheap').script(step.answer([bigger, FIX]));
    const candidates = candidatesOf(
      await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }),
    );
    expect(candidates.map((c) => c.summary)).toEqual([
      `Changes 2 lines in ${POPUP_PATH} (+1 -1)`,
      `Changes 3 lines in ${POPUP_PATH} (+3 -0)`,
    ]);
    expect(candidates[0]?.changes[0]?.after).toContain(FIX_LINE);
  });

  test('fewer choices than n: single calls for the rest', async ({ expect }) => {
    const { deps, em, runId } = setup([CHEAP]);
    em('cheap').script(step.answer(FIX), step.answer(FIX), step.answer(FIX));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(em('cheap').received.map((r) => r.n)).toEqual([3, 1, 1]);
    const [candidate] = candidatesOf(out);
    const rows = await callRows(runId);
    expect(candidate?.source).toMatchObject({ votes: 3, of: 3, callIds: rows.map((r) => r.id) });
    expect(out.calls).toBe(3);
  });

  test('malformed and unappliable answers are reported; the good one is used', async ({
    expect,
  }) => {
    const { deps, em } = setup([CHEAP], { candidates: 5 });
    em('cheap').script(
      step.answer([
        malformedAnswer.unterminated(POPUP_PATH, BUG_LINE),
        ambiguousSearch(POPUP_PATH, '}', '};'),
        malformedAnswer.proseOnly(),
        block({ path: POPUP_PATH, search: 'no such line', replace: 'x' }),
        FIX,
      ]),
    );
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(candidatesOf(out).map((c) => c.source.kind === 'model' && c.source.of)).toEqual([1]);
    expect(out.malformed).toEqual([
      { reason: 'unterminated', detail: 'answer 1, block 1 (line 2)' },
      { reason: 'ambiguous', detail: `answer 2, edit 1 (${POPUP_PATH})` },
      { reason: 'no_blocks', detail: 'answer 3' },
      { reason: 'no_match', detail: `answer 4, edit 1 (${POPUP_PATH})` },
    ]);
  });

  test('only unusable answers → no_usable_answer, the calls still counted', async ({ expect }) => {
    const { deps, em } = setup([CHEAP], { candidates: 2 });
    const huge = block({ path: POPUP_PATH, search: BUG_LINE, replace: 'x'.repeat(1024 * 1024) });
    em('cheap').script(step.answer([huge, correctFix(POPUP_PATH, BUG_LINE, `${BUG_LINE}   `)]));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toMatchObject({ ok: false, reason: 'no_usable_answer', calls: 1 });
    expect(out.costUsd).toBeGreaterThan(0);
    expect(out.malformed.map((m) => m.reason)).toEqual(['answer_too_large', 'no_effect']);
  });
});

describe('tiers and fallback', () => {
  test('attempt 1 uses the lowest tier, a retry the next one up, then stays at the top', async ({
    expect,
  }) => {
    for (const [attempt, used] of [
      [1, 'cheap'],
      [2, 'strong'],
      [3, 'strong'],
    ] as const) {
      const { deps, em } = setup([STRONG, CHEAP], { candidates: 1 });
      em(used).script(step.answer(FIX));
      candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt }));
      const other = used === 'cheap' ? 'strong' : 'cheap';
      expect(em(used).received, `attempt ${attempt}`).toHaveLength(1);
      expect(em(other).requests, `attempt ${attempt}`).toHaveLength(0);
    }
  });

  test('within a tier cheapest first; a failing provider falls to the next', async ({ expect }) => {
    const pricey: ProviderSpec = {
      name: 'pricey',
      baseUrl: 'https://pricey.model.test/v1',
      input: 3,
      output: 15,
    };
    const { deps, em, runId } = setup([pricey, CHEAP], { candidates: 1 });
    em('cheap').script(step.status(500), step.status(502), step.status(503));
    em('pricey').script(step.answer(FIX));
    const [candidate] = candidatesOf(
      await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }),
    );
    expect(candidate?.source).toMatchObject({ provider: 'pricey' });
    expect((await callRows(runId)).map((r) => [r.provider, r.status, r.http_status])).toEqual([
      ['cheap', 'error', 500],
      ['cheap', 'error', 502],
      ['cheap', 'error', 503],
      ['pricey', 'ok', 200],
    ]);
    expect(em('cheap').requests).toHaveLength(MAX_RETRIES + 1);
  });

  test('every provider failing → provider_failed', async ({ expect }) => {
    const { deps, em } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.status(401));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toMatchObject({ ok: false, reason: 'provider_failed', calls: 1, costUsd: 0 });
    expect(em('cheap').requests).toHaveLength(1); // a 4xx is not retried
  });
});

describe('privacy routing and credentials', () => {
  test('a private repository never reaches a provider not allowed private code', async ({
    expect,
  }) => {
    const { deps, em } = setup([CHEAP, PRIVATE], { candidates: 1 });
    em('private').script(step.answer(FIX));
    const out = await proposeModelCandidates(deps, fixContext({ repo: REPO }), { attempt: 1 });
    expect(candidatesOf(out)[0]?.source).toMatchObject({ provider: 'private' });
    expect(em('cheap').requests).toHaveLength(0);
    expect(JSON.stringify(em('private').received)).toContain('renderCount');
  });

  test('no provider allowed private code → no_eligible_provider, no call at all', async ({
    expect,
  }) => {
    const { deps, em, runId } = setup([CHEAP, STRONG]);
    // A repository the config does not list counts as private too.
    for (const repo of [REPO, 'octo-org/unlisted']) {
      const out = await proposeModelCandidates(deps, fixContext({ repo }), { attempt: 1 });
      expect(out).toEqual({
        ok: false,
        reason: 'no_eligible_provider',
        calls: 0,
        costUsd: 0,
        malformed: [],
      });
    }
    expect(em('cheap').requests).toHaveLength(0);
    expect(em('strong').requests).toHaveLength(0);
    expect(await callRows(runId)).toEqual([]);
  });

  test('a provider without its API key is skipped; none keyed → no_provider', async ({
    expect,
  }) => {
    const one = setup(
      [
        { ...CHEAP, key: null },
        { ...PRIVATE, name: 'second', baseUrl: 'https://second.model.test/v1' },
      ],
      {
        candidates: 1,
      },
    );
    one.em('second').script(step.answer(FIX));
    const out = await proposeModelCandidates(one.deps, publicCtx(), { attempt: 1 });
    expect(candidatesOf(out)[0]?.source).toMatchObject({ provider: 'second' });
    expect(one.em('cheap').requests).toHaveLength(0);

    const none = setup([{ ...CHEAP, key: null }]);
    expect(await proposeModelCandidates(none.deps, publicCtx(), { attempt: 1 })).toMatchObject({
      ok: false,
      reason: 'no_provider',
      calls: 0,
    });
    expect(none.em('cheap').requests).toHaveLength(0);
    const empty = setup([]);
    expect(await proposeModelCandidates(empty.deps, publicCtx(), { attempt: 1 })).toMatchObject({
      ok: false,
      reason: 'no_provider',
    });
  });

  test('the prompt carries no secret; each key goes only to its own provider', async ({
    expect,
  }) => {
    const { deps, em, bindings } = setup([CHEAP, STRONG], { candidates: 1 });
    em('cheap').script(step.answer(FIX));
    em('strong').script(step.answer(FIX));
    await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    await proposeModelCandidates(deps, publicCtx(), { attempt: 2, feedback: 'test: failure' });
    const sent = JSON.stringify(
      [...em('cheap').requests, ...em('strong').requests].map((r) => r.body),
    );
    for (const value of Object.values(bindings)) expect(sent).not.toContain(String(value));
    expect(em('cheap').requests[0]?.authorization).toBe(`Bearer ${bindings.CHEAP_KEY}`);
    expect(em('strong').requests[0]?.authorization).toBe(`Bearer ${bindings.STRONG_KEY}`);
    expect(JSON.stringify(em('strong').received)).toContain('ci-feedback');
  });
});

describe('budgets', () => {
  const promptTokens = estimatePromptTokens(buildFixPrompt(publicCtx()));

  test('a call whose worst case exceeds the run budget is refused before it is made', async ({
    expect,
  }) => {
    const { deps, config, em, runId } = setup([CHEAP]);
    const provider = config.models.providers[0];
    if (provider === undefined) throw new Error('fixture');
    const worst = worstCaseUsd(provider, promptTokens, 3);
    config.models.budget.perRunUsd = worst * 0.99;
    em('cheap').script(step.answer(FIX));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toEqual({
      ok: false,
      reason: 'budget_exhausted',
      calls: 0,
      costUsd: 0,
      malformed: [],
    });
    expect(em('cheap').requests).toHaveLength(0);
    expect(await callRows(runId)).toEqual([]);
    // Exactly the worst case fits.
    config.models.budget.perRunUsd = worst * 1.0001;
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
  });

  test('spend is counted after each call: the next call of the run is refused', async ({
    expect,
  }) => {
    const { deps, config, em } = setup([CHEAP], { candidates: 1 });
    const provider = config.models.providers[0];
    if (provider === undefined) throw new Error('fixture');
    const worst = worstCaseUsd(provider, promptTokens, 1);
    // Room for one worst case plus a little: after the first call's real cost, not a second.
    config.models.budget.perRunUsd = worst * 1.5;
    em('cheap').script(step.answer(FIX, { prompt_tokens: promptTokens, completion_tokens: 2_000 }));
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
    const again = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(again).toMatchObject({ ok: false, reason: 'budget_exhausted', calls: 0 });
    expect(em('cheap').requests).toHaveLength(1);
  });

  test('the day budget counts every repository and run of the UTC day', async ({ expect }) => {
    const { deps, config, em, clock } = setup([CHEAP], { candidates: 1, perDayUsd: 0.5 });
    const base = {
      runId: 'another-run',
      repo: 'octo-org/another',
      extensionId: 'x',
      fingerprint: 'fp1:other',
      attempt: 1,
      provider: 'cheap',
      model: 'cheap-model',
      status: 'ok' as const,
      httpStatus: 200,
      choices: 1,
      inputTokens: 1,
      outputTokens: 1,
      usageEstimated: false,
      latencyMs: 1,
    };
    // Spent yesterday: does not count. Spent today by another repository: does.
    await recordModelCall(env.DB, { ...base, costUsd: 5, startedAt: clock.now() - DAY });
    em('cheap').script(step.answer(FIX));
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
    await recordModelCall(env.DB, { ...base, costUsd: 0.4999, startedAt: clock.now() - 1000 });
    expect(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 })).toMatchObject({
      ok: false,
      reason: 'budget_exhausted',
    });
    expect(em('cheap').requests).toHaveLength(1);
    expect(config.models.budget.perDayUsd).toBe(0.5);
  });

  test('out of budget halfway: the answers already paid for are used', async ({ expect }) => {
    const { deps, config, em } = setup([CHEAP]);
    const provider = config.models.providers[0];
    if (provider === undefined) throw new Error('fixture');
    // Room for the first call (3 asked) but not for a single call after its real cost.
    config.models.budget.perRunUsd = worstCaseUsd(provider, promptTokens, 3) * 1.01;
    em('cheap').script(
      step.answer(FIX, { prompt_tokens: promptTokens, completion_tokens: 5_000 }),
      step.answer(FIX),
    );
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(candidatesOf(out)[0]?.source).toMatchObject({ votes: 1, of: 1 });
    expect(em('cheap').requests).toHaveLength(1);
    expect(em('cheap').pending).toBe(1);
  });
});

describe('retries, timeouts and cost records', () => {
  test('429 waits for Retry-After, then succeeds', async ({ expect }) => {
    const { deps, em, clock, runId } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.status(429, { retryAfter: 7 }), step.answer(FIX));
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
    expect(clock.sleeps).toEqual([7_000]);
    expect((await callRows(runId)).map((r) => [r.status, r.http_status])).toEqual([
      ['rate_limited', 429],
      ['ok', 200],
    ]);
  });

  test('a Retry-After too long to wait for gives up on the provider', async ({ expect }) => {
    const { deps, em, clock } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.status(429, { retryAfter: 3_600 }), step.answer(FIX));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toMatchObject({ ok: false, reason: 'provider_failed', calls: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  test('500 then success: exponential backoff with jitter', async ({ expect }) => {
    const { deps, em, clock, runId } = setup([CHEAP], { candidates: 1 });
    deps.random = () => 0.5;
    em('cheap').script(step.status(500), step.networkError(), step.answer(FIX));
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
    expect(clock.sleeps).toEqual([backoffMs(0, () => 0.5), backoffMs(1, () => 0.5)]);
    expect(clock.sleeps).toEqual([375, 750]);
    expect((await callRows(runId)).map((r) => [r.status, r.http_status])).toEqual([
      ['error', 500],
      ['error', null],
      ['ok', 200],
    ]);
  });

  test('a hang ends at the provider timeout and falls to the next provider', async ({ expect }) => {
    const { deps, em, runId } = setup(
      [
        { ...CHEAP, timeoutMs: 50 },
        { ...CHEAP, name: 'backup', baseUrl: 'https://backup.model.test/v1', input: 0.5 },
      ],
      { candidates: 1 },
    );
    em('cheap').script(step.hang());
    em('backup').script(step.answer(FIX));
    const started = Date.now();
    const [candidate] = candidatesOf(
      await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(candidate?.source).toMatchObject({ provider: 'backup' });
    expect((await callRows(runId)).map((r) => [r.provider, r.status, r.cost_usd])).toEqual([
      ['cheap', 'timeout', 0],
      ['backup', 'ok', expect.any(Number)],
    ]);
  });

  test('a body that is not JSON is a failed call, not retried', async ({ expect }) => {
    const { deps, em, runId } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.malformedJson());
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toMatchObject({ ok: false, reason: 'provider_failed', calls: 1 });
    expect((await callRows(runId)).map((r) => r.status)).toEqual(['error']);
  });

  test('a failed call that reported usage is charged for it', async ({ expect }) => {
    const { deps, em, runId } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.answer([], { prompt_tokens: 1_000, completion_tokens: 0 }));
    const out = await proposeModelCandidates(deps, publicCtx(), { attempt: 1 });
    expect(out).toMatchObject({ ok: false, reason: 'provider_failed', calls: 1 });
    expect((await callRows(runId)).map(CallRow)).toEqual([
      {
        provider: 'cheap',
        status: 'error',
        http_status: 200,
        choices: 0,
        input_tokens: 1_000,
        output_tokens: 0,
        usage_estimated: 0,
        cost_usd: (1_000 * 0.28) / 1e6,
      },
    ]);
    expect(out.costUsd).toBe((1_000 * 0.28) / 1e6);
  });

  test('an answer without usage is estimated, never free', async ({ expect }) => {
    const { deps, em, runId } = setup([CHEAP], { candidates: 1 });
    em('cheap').script(step.answer(FIX, null));
    candidatesOf(await proposeModelCandidates(deps, publicCtx(), { attempt: 1 }));
    const [row] = await callRows(runId);
    expect(row).toMatchObject({
      usage_estimated: 1,
      input_tokens: promptTokensOf(),
      output_tokens: Math.ceil(FIX.length / 3),
    });
    expect(Number(row?.cost_usd)).toBeGreaterThan(0);
  });
});

function promptTokensOf(): number {
  return estimatePromptTokens(buildFixPrompt(publicCtx()));
}
