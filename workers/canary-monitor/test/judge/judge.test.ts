import { bundledConfig } from '@homeostat/shared';
import { describe, expectTypeOf, test } from 'vitest';
import {
  type HealthWindow,
  type JudgeInput,
  JudgeInputSchema,
  type JudgeOutput,
  JudgeOutputSchema,
} from '../../src/judge/judge.schema.ts';
import {
  initialJudgeState,
  judge,
  judgeParamsFromConfig,
  WINDOW_MS,
} from '../../src/judge/judge.ts';

const params = judgeParamsFromConfig(bundledConfig().canary);
const T0 = Date.UTC(2026, 10, 21, 0, 0);

function win(i: number, c: Partial<Omit<HealthWindow, 'start'>> = {}): HealthWindow {
  return {
    start: T0 + i * WINDOW_MS,
    canarySessions: 100,
    canaryAffectedSessions: 1,
    baselineSessions: 2_000,
    baselineAffectedSessions: 20,
    canaryNewInstallSessions: 0,
    ...c,
  };
}

/** Feeds windows one look at a time, as the cron does, and returns every output. */
function run(
  windows: HealthWindow[],
  opts: { stage?: JudgeInput['stage']; p?: typeof params } = {},
): JudgeOutput[] {
  const p = opts.p ?? params;
  let prior = initialJudgeState(p);
  const outs: JudgeOutput[] = [];
  for (const w of windows) {
    const out = judge({
      params: p,
      prior,
      stage: opts.stage ?? { index: 0, startedAt: T0, isLast: false },
      windows: [w],
      now: w.start + WINDOW_MS,
    });
    outs.push(out);
    prior = out.state;
  }
  return outs;
}

describe('judge', () => {
  test('its input counts affected sessions, never raw error events (§6.5)', ({ expect }) => {
    expectTypeOf<HealthWindow>().toHaveProperty('canaryAffectedSessions');
    expectTypeOf<keyof HealthWindow>().not.toEqualTypeOf<'errorEvents'>();
    const keys = Object.keys(HealthWindowKeys);
    expect(keys.some((k) => /event|error/i.test(k))).toBe(false);
  });

  test('no canary sessions gives HOLD, never a decision (§6.6)', ({ expect }) => {
    const outs = run(
      Array.from({ length: 200 }, (_, i) =>
        win(i, { canarySessions: 0, canaryAffectedSessions: 0 }),
      ),
    );
    expect(new Set(outs.map((o) => o.decision))).toEqual(new Set(['hold']));
    expect(outs.at(-1)?.reasons).toContain('no_canary_sessions');
  });

  test('a data gap over 30 minutes holds and alerts once per gap (§4.2)', ({ expect }) => {
    const windows = [
      ...Array.from({ length: 12 }, (_, i) => win(i)),
      ...Array.from({ length: 12 }, (_, i) =>
        win(12 + i, {
          canarySessions: 0,
          canaryAffectedSessions: 0,
          baselineSessions: 0,
          baselineAffectedSessions: 0,
        }),
      ),
      win(24),
    ];
    const outs = run(windows);
    const gap = outs.slice(12, 24);
    expect(gap.every((o) => o.decision === 'hold' && o.reasons.includes('data_gap'))).toBe(true);
    const alerts = outs.flatMap((o) => o.alerts);
    expect(alerts).toEqual(['data_gap']);
    // The alert comes with the first window past 30 minutes (the 7th empty window).
    expect(outs[12 + 6]?.alerts).toEqual(['data_gap']);
    // Data is back, but promotion still needs 30 minutes of uninterrupted data.
    expect(outs[24]?.reasons).toContain('data_gap');
    expect(outs[24]?.state.gapAlerted).toBe(false);
  });

  test('fewer than minCanaryAffected affected sessions never halt statistically (§6.6)', ({
    expect,
  }) => {
    // Canary errors on 1 of 10 sessions each window, baseline clean: E_halt explodes quickly.
    const windows = Array.from({ length: 8 }, (_, i) =>
      win(i, {
        canarySessions: 10,
        canaryAffectedSessions: 1,
        baselineSessions: 5_000,
        baselineAffectedSessions: i % 2,
      }),
    );
    const outs = run(windows);
    const firstHalt = outs.findIndex((o) => o.decision === 'halt');
    // The 5th canary affected session arrives in window index 4.
    expect(firstHalt).toBe(params.minCanaryAffected - 1);
    const before = outs.slice(0, firstHalt);
    expect(before.some((o) => o.reasons.includes('halt_needs_affected_sessions'))).toBe(true);
    expect(before.every((o) => o.decision === 'hold')).toBe(true);
    expect(outs[firstHalt]?.reasons).toEqual(['e_halt']);
  });

  test('the critical guardrail halts a catastrophic build at once, baseline or not', ({
    expect,
  }) => {
    const outs = run([
      win(0, {
        canarySessions: 40,
        canaryAffectedSessions: 30,
        baselineSessions: 0,
        baselineAffectedSessions: 0,
      }),
    ]);
    expect(outs[0]?.decision).toBe('halt');
    expect(outs[0]?.reasons).toEqual(['critical_rate']);
    expect(outs[0]?.stats.criticalLowerBound).toBeGreaterThan(params.criticalRate);
    // Too few sessions for the guardrail: 29 canary sessions, all affected.
    const thin = run([
      win(0, {
        canarySessions: 29,
        canaryAffectedSessions: 29,
        baselineSessions: 0,
        baselineAffectedSessions: 0,
      }),
    ]);
    expect(thin[0]?.decision).toBe('hold');
  });

  test('past the maximum stage duration: exactly one INCONCLUSIVE, then holds (§6.6)', ({
    expect,
  }) => {
    const p = { ...params, maxStageMinutes: 60, minSessionsPerStage: 1_000_000 };
    const outs = run(
      Array.from({ length: 30 }, (_, i) => win(i)),
      { p },
    );
    const inconclusive = outs.filter((o) => o.decision === 'inconclusive');
    expect(inconclusive).toHaveLength(1);
    expect(outs.indexOf(inconclusive[0] as JudgeOutput)).toBe(12);
    expect(outs.flatMap((o) => o.alerts)).toEqual(['inconclusive']);
    expect(outs.at(-1)?.reasons).toContain('max_stage_duration');
    expect(outs.at(-1)?.decision).toBe('hold');
  });

  test('a new stage resets the promote evidence but keeps the halt evidence (§4.2)', ({
    expect,
  }) => {
    const first = run(Array.from({ length: 50 }, (_, i) => win(i)));
    const prior = first.at(-1)?.state;
    if (prior === undefined) throw new Error('no state');
    expect(prior.logLrSafe).toBeGreaterThan(0);
    const next = judge({
      params,
      prior,
      stage: { index: 1, startedAt: T0 + 50 * WINDOW_MS, isLast: false },
      windows: [win(50)],
      now: T0 + 51 * WINDOW_MS,
    });
    expect(next.state.stage.canarySessions).toBe(100);
    expect(next.state.rollout.canarySessions).toBe(5_100);
    expect(next.state.logLrSafe).toBeLessThan(prior.logLrSafe);
    expect(next.state.logLrHalt.every((l, j) => l !== prior.logLrHalt[j])).toBe(true);
  });

  test('windows already judged are ignored, so a repeated look changes nothing', ({ expect }) => {
    const outs = run([win(0), win(1)]);
    const state = outs[1]?.state;
    if (state === undefined) throw new Error('no state');
    const again = judge({
      params,
      prior: state,
      stage: { index: 0, startedAt: T0, isLast: false },
      windows: [win(0), win(1)],
      now: T0 + 3 * WINDOW_MS,
    });
    expect(again.state).toEqual(state);
    expect(again.reasons).toContain('no_new_windows');
  });

  test('the last stage completes on soak and sessions without E_safe', ({ expect }) => {
    const p = { ...params, minSoakMinutes: 60, minSessionsPerStage: 100 };
    // The baseline is gone at 100%: no evidence either way, only exposure.
    const outs = run(
      Array.from({ length: 14 }, (_, i) =>
        win(i, { baselineSessions: 0, baselineAffectedSessions: 0 }),
      ),
      { p, stage: { index: 4, startedAt: T0, isLast: true } },
    );
    const promote = outs.findIndex((o) => o.decision === 'promote');
    expect(promote).toBe(11);
    expect(outs[promote]?.reasons).toEqual(['final_stage_soaked']);
  });

  test('an output survives a JSON round trip bit for bit and re-parses', ({ expect }) => {
    const outs = run(Array.from({ length: 20 }, (_, i) => win(i)));
    for (const out of outs) {
      const text = JSON.stringify(out);
      expect(JSON.stringify(JudgeOutputSchema.parse(JSON.parse(text)))).toBe(text);
    }
    const input: JudgeInput = {
      params,
      prior: outs[19]?.state ?? initialJudgeState(params),
      stage: { index: 0, startedAt: T0, isLast: false },
      windows: [win(20)],
      now: T0 + 21 * WINDOW_MS,
    };
    const replayed = judge(JudgeInputSchema.parse(JSON.parse(JSON.stringify(input))));
    expect(JSON.stringify(replayed)).toBe(JSON.stringify(judge(input)));
  });
});

const HealthWindowKeys: Record<keyof HealthWindow, true> = {
  start: true,
  canarySessions: true,
  canaryAffectedSessions: true,
  baselineSessions: true,
  baselineAffectedSessions: true,
  canaryNewInstallSessions: true,
};
