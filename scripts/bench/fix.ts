import type { ExtensionConfig, RepositoryConfig } from '@homeostat/shared';
import { step } from '../../test/emulators/model/model-emulator.ts';
import type {
  Candidate,
  FixContext,
  RepoSnapshot,
} from '../../workers/triage/src/fix/fix.types.ts';
import {
  type CandidateStep,
  type FixStages,
  type ModelStageOutcome,
  modelStep,
  patternStep,
  prepareContext,
} from '../../workers/triage/src/fix/fix-engine.ts';
import {
  applyChanges,
  type BenchBug,
  loadBugs,
  runFixtureTests,
  type TestRun,
  withFixtureCopy,
} from './fix-bench-runner.ts';
import {
  type FixtureAnswers,
  fixtureAnswers,
  hostileCandidate,
} from './fix-engine/bench-answers.ts';
import { benchReport } from './fix-engine/bench-report.ts';
import {
  type BenchStack,
  serveFixture,
  startBenchStack,
  uploadRelease,
} from './fix-engine/bench-stack.ts';

/**
 * `npm run bench:fix` (issue 9 item 8): Homeostat's fix engine over the seeded-bug corpus
 * (test/fixtures/fix-bench/). For each bug the fixture is served as a repository by the GitHub
 * emulator, its release and source maps are stored in local R2 and D1, its error becomes a
 * fingerprint as ingest would make it, and the engine runs — localization, the pattern library,
 * the model (the model emulator scripted with the bug's correct answer), the guardrails with
 * their D1 record — and every candidate is applied to a copy of the fixture whose own tests
 * decide whether it is fixed. Then every malformed and hostile answer of the corpus goes through
 * the same model step. Prints one line per bug and the totals; exits non-zero when a hostile
 * answer gets through (or an answer crashes the engine), so CI fails on it.
 *
 *   npm run bench:fix [-- id…]
 */

interface StepResult {
  /** fixed | tests-fail | rejected:<reasons> | the engine's reason for no candidate. */
  outcome: string;
  fixed: boolean;
  ms: number;
}

interface AnswerTally {
  total: number;
  ok: number;
  /** With one of the reasons the case expects. */
  expected: number;
  problems: string[];
}

interface BugResult {
  bug: BenchBug;
  maps: number;
  seeded: TestRun;
  /** Expected files found among the context's files. */
  located: number;
  locateMs: number;
  locateFailure: string | null;
  pattern: StepResult | null;
  model: StepResult | null;
  modelCostUsd: number;
  malformed: AnswerTally;
  hostile: AnswerTally & { byGuardrails: number; byApplier: number; guardrailsAlone: number };
  crashed: string | null;
}

const tally = (): AnswerTally => ({ total: 0, ok: 0, expected: 0, problems: [] });

/** Wraps the stages so the model stage's own outcome (with its malformed reasons) is kept. */
function observed(stages: FixStages): { stages: FixStages; last: () => ModelStageOutcome | null } {
  let last: ModelStageOutcome | null = null;
  return {
    stages: {
      ...stages,
      model: async (ctx, opts) => {
        last = await stages.model(ctx, opts);
        return last;
      },
    },
    last: () => last,
  };
}

/** Applies the candidate to a fresh copy of the fixture and runs its tests. */
async function judged(bug: BenchBug, candidate: Candidate): Promise<TestRun> {
  return withFixtureCopy(bug, async (dir) => {
    await applyChanges(dir, candidate.changes);
    return runFixtureTests(dir);
  });
}

async function fixStep(
  bug: BenchBug,
  run: () => Promise<CandidateStep>,
): Promise<{ result: StepResult; step: CandidateStep }> {
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  if (!result.ok) {
    const rejected = result.verdicts.flatMap((v) => v.reasons);
    const outcome =
      result.reason === 'all_rejected'
        ? `rejected:${[...new Set(rejected)].join('+')}`
        : result.reason;
    return { result: { outcome, fixed: false, ms }, step: result };
  }
  const tests = await judged(bug, result.candidate);
  return {
    result: { outcome: tests.passed ? 'fixed' : 'tests-fail', fixed: tests.passed, ms },
    step: result,
  };
}

function scriptOne(stack: BenchStack, answerText: string): void {
  if (stack.model.pending !== 0) throw new Error('the model emulator has unused steps');
  stack.model.script(step.answer(answerText));
}

function consumed(stack: BenchStack): void {
  if (stack.model.pending !== 0) throw new Error('the engine did not ask the model emulator');
}

async function runMalformed(
  stack: BenchStack,
  bug: BenchBug,
  ctx: FixContext,
  repo: RepositoryConfig,
  answers: FixtureAnswers,
  out: AnswerTally,
): Promise<void> {
  for (const c of answers.malformed) {
    out.total++;
    const spy = observed(stack.stages(`${bug.id}:malformed:${c.kind}`));
    scriptOne(stack, c.answer);
    let result: CandidateStep;
    try {
      result = await modelStep(spy.stages, ctx, repo, { attempt: 1 });
    } catch (error) {
      out.problems.push(`${c.kind}: crashed (${error instanceof Error ? error.name : 'error'})`);
      continue;
    }
    consumed(stack);
    if (result.ok) {
      out.problems.push(`${c.kind}: became a candidate`);
      continue;
    }
    out.ok++;
    const reasons = spy.last()?.malformed.map((m) => m.reason) ?? [];
    if (c.expect.some((r) => reasons.includes(r))) out.expected++;
    else out.problems.push(`${c.kind}: ${result.reason} (${reasons.join('+') || 'no reason'})`);
  }
}

async function runHostile(
  stack: BenchStack,
  bug: BenchBug,
  ctx: FixContext,
  repo: RepositoryConfig,
  snapshot: RepoSnapshot,
  answers: FixtureAnswers,
  out: BugResult['hostile'],
): Promise<void> {
  for (const c of answers.hostile) {
    out.total++;
    const spy = observed(stack.stages(`${bug.id}:hostile:${c.kind}`));
    scriptOne(stack, c.answer);
    let result: CandidateStep;
    try {
      result = await modelStep(spy.stages, ctx, repo, { attempt: 1 });
    } catch (error) {
      out.problems.push(`${c.kind}: crashed (${error instanceof Error ? error.name : 'error'})`);
      continue;
    }
    consumed(stack);
    // The guardrails on their own, over the change the answer makes wherever it applies.
    const candidate = await hostileCandidate(c.answer, ctx, snapshot);
    if (candidate === null) {
      out.problems.push(`${c.kind}: does not apply to this fixture (bench defect)`);
      continue;
    }
    const verdict = stack.stages('guardrails-only').check(candidate, ctx, repo);
    if (result.ok || verdict.ok) {
      out.problems.push(`${c.kind}: PASSED ${result.ok ? 'the engine' : 'the guardrails alone'}`);
      continue;
    }
    out.ok++;
    out.guardrailsAlone++;
    if (result.verdicts.length > 0) out.byGuardrails++;
    else out.byApplier++;
    const reasons = verdict.rejections.map((r) => r.reason as string);
    if (c.expect.some((r) => reasons.includes(r))) out.expected++;
    else out.problems.push(`${c.kind}: rejected only for ${[...new Set(reasons)].join('+')}`);
  }
}

async function benchBug(stack: BenchStack, bug: BenchBug): Promise<BugResult> {
  const repo = stack.repository(bug);
  const extension = stack.config.extensions.find((e) => e.id === bug.extensionId) as
    | ExtensionConfig
    | undefined;
  if (extension === undefined) throw new Error(`${bug.id}: no extension in the bench config`);
  const { maps, seeded } = await withFixtureCopy(bug, async (dir) => {
    const sha = await serveFixture(stack, bug, dir);
    const stored = bug.bundled ? await uploadRelease(stack, bug, dir, sha) : 0;
    return { maps: stored, seeded: await runFixtureTests(dir) };
  });
  const result: BugResult = {
    bug,
    maps,
    seeded,
    located: 0,
    locateMs: 0,
    locateFailure: null,
    pattern: null,
    model: null,
    modelCostUsd: 0,
    malformed: tally(),
    hostile: { ...tally(), byGuardrails: 0, byApplier: 0, guardrailsAlone: 0 },
    crashed: null,
  };
  try {
    const report = await benchReport(bug);
    const stages = stack.stages(`${bug.id}:engine`);
    const started = performance.now();
    const located = await prepareContext(stages, { report, repo, extension });
    result.locateMs = performance.now() - started;
    if (!located.ok) {
      result.locateFailure = located.reason;
      return result;
    }
    const ctx = located.context;
    result.located = bug.expectedFiles.filter((f) => Object.hasOwn(ctx.files, f)).length;

    result.pattern = (await fixStep(bug, () => patternStep(stages, ctx, repo, 1))).result;

    scriptOne(stack, bug.modelAnswer);
    const model = await fixStep(bug, () =>
      modelStep(stack.stages(`${bug.id}:model`), ctx, repo, { attempt: 1 }),
    );
    consumed(stack);
    result.model = model.result;
    result.modelCostUsd = model.step.ok
      ? model.step.candidate.source.kind === 'model'
        ? model.step.candidate.source.costUsd
        : 0
      : model.step.costUsd;

    const snapshot = await stages.openSnapshot(repo);
    const answers = await fixtureAnswers(ctx, snapshot);
    await runMalformed(stack, bug, ctx, repo, answers, result.malformed);
    await runHostile(stack, bug, ctx, repo, snapshot, answers, result.hostile);
  } catch (error) {
    result.crashed = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return result;
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${Math.round((100 * n) / d)}%`);
const ms = (n: number) => `${Math.round(n)}`;
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

function engineMs(r: BugResult): number {
  return r.locateMs + (r.pattern?.ms ?? 0) + (r.model?.ms ?? 0);
}

function line(r: BugResult): string {
  const cells = [
    r.bug.id.padEnd(28),
    (r.bug.class === 'model-only' ? 'model-only' : `pattern:${r.bug.class}`).padEnd(37),
    (r.locateFailure ?? `${r.located}/${r.bug.expectedFiles.length}`).padEnd(5),
    (r.pattern?.outcome ?? '-').slice(0, 26).padEnd(26),
    (r.model?.outcome ?? '-').slice(0, 12).padEnd(12),
    `${r.malformed.ok}/${r.malformed.total}`.padStart(5),
    `${r.hostile.ok}/${r.hostile.total}`.padStart(5),
    ms(engineMs(r)).padStart(7),
    ms(r.seeded.durationMs).padStart(6),
  ];
  return cells.join('  ');
}

const HEADER = [
  'bug'.padEnd(28),
  'class'.padEnd(37),
  'loc'.padEnd(5),
  'patterns alone'.padEnd(26),
  'model'.padEnd(12),
  'malf.'.padStart(5),
  'host.'.padStart(5),
  'eng ms'.padStart(7),
  'tst ms'.padStart(6),
].join('  ');

async function main(ids: string[]): Promise<number> {
  const all = await loadBugs();
  const unknown = ids.filter((id) => !all.some((b) => b.id === id));
  if (unknown.length > 0) throw new Error(`no such bug: ${unknown.join(', ')}`);
  const bugs = ids.length === 0 ? all : all.filter((b) => ids.includes(b.id));
  const startedAt = performance.now();
  // Quiet Miniflare's and workerd's start-up notices: the figures are the output.
  process.env.WRANGLER_LOG ??= 'error';
  const stack = await startBenchStack(bugs);
  const results: BugResult[] = [];
  let recorded = 0;
  let modelCalls = 0;
  let modelUsd = 0;
  try {
    console.log(
      `fix bench: ${bugs.length} seeded bugs (test/fixtures/fix-bench), engine in process`,
    );
    console.log(HEADER);
    for (const bug of bugs) {
      const r = await benchBug(stack, bug);
      results.push(r);
      console.log(line(r));
      for (const problem of [...r.malformed.problems, ...r.hostile.problems]) {
        console.log(`    ${problem}`);
      }
      if (r.crashed !== null) console.log(`    bench stopped on this bug: ${r.crashed}`);
    }
    const verdicts = await stack.db
      .prepare(
        `SELECT COUNT(*) AS n FROM fix_guardrail_verdicts
         WHERE verdict = 'reject' AND run_id LIKE '%:hostile:%'`,
      )
      .first<{ n: number }>();
    recorded = verdicts?.n ?? 0;
    const calls = await stack.db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(cost_usd), 0) AS usd FROM fix_model_calls')
      .first<{ n: number; usd: number }>();
    modelCalls = calls?.n ?? 0;
    modelUsd = calls?.usd ?? 0;
  } finally {
    await stack.close();
  }

  const n = results.length;
  const sum = (f: (r: BugResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const patternBugs = results.filter((r) => r.bug.class !== 'model-only');
  const located = results.filter(
    (r) => r.locateFailure === null && r.located === r.bug.expectedFiles.length,
  ).length;
  const anyLocated = results.filter((r) => r.located > 0).length;
  const byPattern = results.filter((r) => r.pattern?.fixed === true);
  const wrongPattern = results.filter((r) => r.pattern?.outcome === 'tests-fail').length;
  const byModel = results.filter((r) => r.model?.fixed === true).length;
  const either = results.filter((r) => r.pattern?.fixed === true || r.model?.fixed === true).length;
  const notByPattern = results.filter((r) => r.pattern?.fixed !== true);
  const modelRest = notByPattern.filter((r) => r.model?.fixed === true).length;
  const malformed = { ok: sum((r) => r.malformed.ok), total: sum((r) => r.malformed.total) };
  const hostileOk = sum((r) => r.hostile.ok);
  const hostileTotal = sum((r) => r.hostile.total);
  const hostilePassed = results.flatMap((r) =>
    r.hostile.problems.filter((p) => p.includes('PASSED') || p.includes('crashed')),
  ).length;
  const unfair = results.flatMap((r) =>
    r.hostile.problems.filter((p) => p.includes('bench defect')),
  ).length;
  const malformedBad = results.flatMap((r) =>
    r.malformed.problems.filter((p) => p.includes('became a candidate') || p.includes('crashed')),
  ).length;
  const crashed = results.filter((r) => r.crashed !== null).length;
  const engine = results.map(engineMs);
  const tests = results.map((r) => r.seeded.durationMs);
  const seededFail = results.filter((r) => !r.seeded.passed).length;

  console.log('');
  // bug.json's expectedFiles: "where the fix belongs (any one of them will do)".
  console.log(
    `localization    ${anyLocated}/${n} (${pct(anyLocated, n)}) with a file where the fix belongs in the context ` +
      `(target >= 95%); ${located}/${n} with every expected file`,
  );
  console.log(
    `patterns alone  ${byPattern.length}/${n} fixed (${byPattern.filter((r) => r.bug.class !== 'model-only').length}/${patternBugs.length} pattern-class bugs); ` +
      `${wrongPattern} pattern candidate(s) passed the guardrails but not the tests`,
  );
  console.log(
    `model           ${byModel}/${n} fixed with the scripted correct answer; ` +
      `${modelRest}/${notByPattern.length} of those patterns did not fix`,
  );
  console.log(`engine          ${either}/${n} fixed (patterns, else the model)`);
  console.log(
    `malformed       ${malformed.ok}/${malformed.total} handled (typed outcome, no candidate), ` +
      `${sum((r) => r.malformed.expected)} with the expected reason`,
  );
  console.log(
    `hostile         ${hostileOk}/${hostileTotal} blocked (${pct(hostileOk, hostileTotal)}): ` +
      `${sum((r) => r.hostile.byGuardrails)} by the guardrails in the engine, ` +
      `${sum((r) => r.hostile.byApplier)} refused by the applier before them; ` +
      `guardrails alone reject ${sum((r) => r.hostile.guardrailsAlone)}/${hostileTotal}, ` +
      `${sum((r) => r.hostile.expected)} for the expected reason; ${recorded} rejections recorded in D1`,
  );
  console.log(
    `time            engine median ${ms(median(engine))} ms/bug (localize ${ms(median(results.map((r) => r.locateMs)))}, ` +
      `patterns ${ms(median(results.map((r) => r.pattern?.ms ?? 0)))}, model ${ms(median(results.map((r) => r.model?.ms ?? 0)))}); ` +
      `the fixture's own test run median ${ms(median(tests))} ms: engine = ${(
        sum(engineMs) /
          Math.max(
            1,
            sum((r) => r.seeded.durationMs),
          )
      ).toFixed(2)}x a test run`,
  );
  console.log(
    `model emulator  ${modelCalls} calls, $${modelUsd.toFixed(4)} at the configured prices ` +
      `(correct answers: $${sum((r) => r.modelCostUsd).toFixed(4)}); ` +
      `seeded tests failing ${seededFail}/${n}; ${Math.round((performance.now() - startedAt) / 1000)} s in all`,
  );

  const failures: string[] = [];
  if (hostilePassed > 0) failures.push(`${hostilePassed} hostile answer(s) got through`);
  if (unfair > 0) failures.push(`${unfair} hostile answer(s) did not apply to their fixture`);
  if (malformedBad > 0) failures.push(`${malformedBad} malformed answer(s) not handled`);
  if (crashed > 0) failures.push(`${crashed} bug(s) stopped the bench`);
  if (seededFail < n) failures.push(`${n - seededFail} fixture(s) pass their tests as seeded`);
  if (failures.length > 0) {
    console.log(`FAIL: ${failures.join('; ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
