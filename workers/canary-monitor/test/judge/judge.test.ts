import { bundledConfig } from '@homeostat/shared';
import { describe, expectTypeOf, test } from 'vitest';
import {
  type FingerprintCounts,
  type HealthWindow,
  type JudgeInput,
  JudgeInputSchema,
  type JudgeOutput,
  JudgeOutputSchema,
} from '../../src/judge/judge.schema.ts';
import {
  CRITICAL_FINGERPRINT_MIN_CANARY_SESSIONS,
  establishedCounts,
  initialJudgeState,
  judge,
  judgeParamsFromConfig,
  WINDOW_MS,
} from '../../src/judge/judge.ts';

const params = judgeParamsFromConfig(bundledConfig().canary);
const T0 = Date.UTC(2026, 10, 21, 0, 0);

/** A window; unless given, every session comes from its own install (the honest case). */
function win(i: number, c: Partial<Omit<HealthWindow, 'start'>> = {}): HealthWindow {
  const counts = {
    canarySessions: 100,
    canaryAffectedSessions: 1,
    baselineSessions: 2_000,
    baselineAffectedSessions: 20,
    canaryNewInstallSessions: 0,
    canaryNewInstallAffectedSessions: 0,
    baselineNewInstallSessions: 0,
    baselineNewInstallAffectedSessions: 0,
    ...c,
  };
  return {
    start: T0 + i * WINDOW_MS,
    canaryInstalls: counts.canarySessions,
    canaryAffectedInstalls: counts.canaryAffectedSessions,
    baselineInstalls: counts.baselineSessions,
    baselineAffectedInstalls: counts.baselineAffectedSessions,
    ...counts,
  };
}

function fp(
  canarySessions: number,
  baselineSessions: number,
  cls = 'critical',
  fingerprint = 'fp1:aaaa',
  installs = canarySessions + baselineSessions,
): FingerprintCounts {
  return { fingerprint, class: cls, canarySessions, baselineSessions, installs };
}

/** Feeds windows one look at a time, as the cron does, and returns every output. */
function run(
  windows: HealthWindow[],
  opts: {
    stage?: JudgeInput['stage'];
    p?: typeof params;
    fingerprints?: FingerprintCounts[];
  } = {},
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
      fingerprints: opts.fingerprints ?? [],
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
    // Canary errors on 3 of 30 sessions (3 installs) each window, baseline clean: E_halt explodes
    // quickly. Counted without one install's share (issue 11 item 2): 2 per window.
    const windows = Array.from({ length: 8 }, (_, i) =>
      win(i, {
        canarySessions: 30,
        canaryAffectedSessions: 3,
        baselineSessions: 5_000,
        baselineAffectedSessions: i % 2,
      }),
    );
    const outs = run(windows);
    const firstHalt = outs.findIndex((o) => o.decision === 'halt');
    // The 5th such affected session arrives in window index 2.
    expect(firstHalt).toBe(Math.ceil(params.minCanaryAffected / 2) - 1);
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
      fingerprints: [],
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
      fingerprints: [],
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
      fingerprints: [],
      now: T0 + 21 * WINDOW_MS,
    };
    const replayed = judge(JudgeInputSchema.parse(JSON.parse(JSON.stringify(input))));
    expect(JSON.stringify(replayed)).toBe(JSON.stringify(judge(input)));
  });
});

describe('judge: established installs only (§4.3, metric row)', () => {
  test('new installs are left out of every count, and their share is reported', ({ expect }) => {
    const [out] = run([
      win(0, {
        canarySessions: 100,
        canaryAffectedSessions: 10,
        canaryNewInstallSessions: 60,
        canaryNewInstallAffectedSessions: 9,
        baselineSessions: 2_000,
        baselineAffectedSessions: 30,
        baselineNewInstallSessions: 500,
        baselineNewInstallAffectedSessions: 15,
      }),
    ]);
    expect(out?.state.rollout).toEqual({
      canarySessions: 40,
      canaryAffectedSessions: 1,
      baselineSessions: 1_500,
      baselineAffectedSessions: 15,
    });
    expect(out?.state.stage).toEqual(out?.state.rollout);
    expect(out?.stats.canaryRate).toBe(1 / 40);
    expect(out?.state.canaryNewInstallSessions).toBe(60);
    expect(out?.stats.newInstallShare).toBe(0.6);
  });

  test('new installs alone cannot make a halt', ({ expect }) => {
    // Established installs: identical 1% rates. New installs (canary only, as the store gives
    // them the newest version) all fail: a first-run crash the baseline's users never run into.
    const windows = Array.from({ length: 100 }, (_, i) =>
      win(i, {
        canarySessions: 150,
        canaryAffectedSessions: 51,
        canaryNewInstallSessions: 50,
        canaryNewInstallAffectedSessions: 50,
      }),
    );
    const outs = run(windows);
    expect(outs.filter((o) => o.decision === 'halt')).toEqual([]);
    expect(outs.at(-1)?.stats.canaryRate).toBe(0.01);
    expect(outs.at(-1)?.stats.newInstallShare).toBeCloseTo(1 / 3, 12);
    // The same windows judged as if every session were established halt at once.
    const counted = run(
      windows.map((w) => ({
        ...w,
        canaryNewInstallSessions: 0,
        canaryNewInstallAffectedSessions: 0,
      })),
    );
    expect(counted[0]?.decision).toBe('halt');
    expect(counted[0]?.reasons).toEqual(['critical_rate']);
  });

  test('a window of new installs only is data, not a gap, but carries no evidence', ({
    expect,
  }) => {
    const outs = run(
      Array.from({ length: 10 }, (_, i) =>
        win(i, {
          canarySessions: 30,
          canaryAffectedSessions: 30,
          canaryNewInstallSessions: 30,
          canaryNewInstallAffectedSessions: 30,
        }),
      ),
    );
    const last = outs.at(-1);
    expect(last?.decision).toBe('hold');
    expect(last?.reasons).toContain('no_canary_sessions');
    expect(last?.reasons).not.toContain('data_gap');
    expect(last?.state.trailingDataWindows).toBe(10);
    expect(last?.state.logLrHalt.every((l) => l === 0)).toBe(true);
    expect(last?.stats.newInstallShare).toBe(1);
  });

  test('an inconsistent window is clamped: never negative, never more affected than sessions', ({
    expect,
  }) => {
    // More new-install sessions than sessions (the two are flushed separately by ingest).
    expect(
      establishedCounts(
        win(0, {
          canarySessions: 10,
          canaryAffectedSessions: 5,
          canaryNewInstallSessions: 20,
          baselineSessions: 100,
          baselineAffectedSessions: 3,
          baselineNewInstallAffectedSessions: 9,
        }),
      ),
    ).toEqual({
      canarySessions: 0,
      canaryAffectedSessions: 0,
      baselineSessions: 100,
      baselineAffectedSessions: 0,
    });
    // Affected sessions of established installs cannot exceed their sessions.
    expect(
      establishedCounts(
        win(0, {
          canarySessions: 10,
          canaryAffectedSessions: 8,
          canaryNewInstallSessions: 5,
          canaryNewInstallAffectedSessions: 0,
        }),
      ),
    ).toMatchObject({ canarySessions: 5, canaryAffectedSessions: 5 });
  });
});

describe('judge: critical fingerprint guardrail (§4.2 step 3)', () => {
  test('a critical fingerprint in 3 canary sessions and no baseline session halts at once', ({
    expect,
  }) => {
    expect(CRITICAL_FINGERPRINT_MIN_CANARY_SESSIONS).toBe(3);
    const [out] = run([win(0)], { fingerprints: [fp(3, 0)] });
    expect(out?.decision).toBe('halt');
    expect(out?.reasons).toEqual(['critical_fingerprint']);
    expect(out?.stats.criticalFingerprints).toEqual(['fp1:aaaa']);
  });

  test('2 canary sessions, or 1 baseline session, do not halt', ({ expect }) => {
    for (const f of [fp(2, 0), fp(3, 1), fp(100, 1)]) {
      const [out] = run([win(0)], { fingerprints: [f] });
      expect([f, out?.decision, out?.stats.criticalFingerprints]).toEqual([f, 'hold', []]);
      expect(out?.reasons).not.toContain('critical_fingerprint');
    }
  });

  test('a fingerprint of another class never halts, however often the canary sees it', ({
    expect,
  }) => {
    const others = ['safe', 'needs-validation', 'unknown'].map((c, i) => fp(100, 0, c, `fp1:${i}`));
    const outs = run(
      Array.from({ length: 50 }, (_, i) => win(i)),
      { fingerprints: others },
    );
    expect(outs.filter((o) => o.decision === 'halt')).toEqual([]);
    expect(outs.every((o) => o.stats.criticalFingerprints.length === 0)).toBe(true);
  });

  test('it needs no windows, no affected sessions and no clean data: a gap does not hide it', ({
    expect,
  }) => {
    const looks = [
      { windows: [], why: 'no new window' },
      {
        windows: [
          win(0, {
            canarySessions: 0,
            canaryAffectedSessions: 0,
            baselineSessions: 0,
            baselineAffectedSessions: 0,
          }),
        ],
        why: 'a gap',
      },
    ];
    for (const look of looks) {
      const out = judge({
        params,
        prior: initialJudgeState(params),
        stage: { index: 0, startedAt: T0, isLast: false },
        windows: look.windows,
        fingerprints: [fp(0, 0, 'critical', 'fp1:b'), fp(7, 0, 'critical', 'fp1:a')],
        now: T0 + WINDOW_MS,
      });
      expect([look.why, out.decision, out.stats.criticalFingerprints]).toEqual([
        look.why,
        'halt',
        ['fp1:a'],
      ]);
    }
  });

  test('with a critical rate as well, both reasons are given', ({ expect }) => {
    const [out] = run(
      [
        win(0, {
          canarySessions: 40,
          canaryAffectedSessions: 30,
          baselineSessions: 0,
          baselineAffectedSessions: 0,
        }),
      ],
      { fingerprints: [fp(5, 0, 'critical', 'fp1:z'), fp(4, 0, 'critical', 'fp1:y')] },
    );
    expect(out?.reasons).toEqual(['critical_rate', 'critical_fingerprint']);
    expect(out?.stats.criticalFingerprints).toEqual(['fp1:y', 'fp1:z']);
  });
});

describe('judge: replay with the new inputs (§6.7)', () => {
  test('a stored decision with new installs and fingerprints replays bit for bit', ({ expect }) => {
    const history = run(
      Array.from({ length: 30 }, (_, i) =>
        win(i, {
          canarySessions: 130,
          canaryAffectedSessions: 2 + (i % 3),
          canaryNewInstallSessions: 30,
          canaryNewInstallAffectedSessions: 1 + (i % 2),
          baselineNewInstallSessions: 7,
          baselineNewInstallAffectedSessions: i % 2,
        }),
      ),
    );
    const input: JudgeInput = {
      params,
      prior: history.at(-1)?.state ?? initialJudgeState(params),
      stage: { index: 0, startedAt: T0, isLast: false },
      windows: [win(30, { canaryNewInstallSessions: 13, canaryNewInstallAffectedSessions: 1 })],
      fingerprints: [fp(1, 0, 'critical', 'fp1:c'), fp(3, 0, 'critical', 'fp1:d'), fp(9, 2)],
      now: T0 + 31 * WINDOW_MS,
    };
    const stored = { input: JSON.stringify(input), output: JSON.stringify(judge(input)) };
    const replayed = judge(JudgeInputSchema.parse(JSON.parse(stored.input)));
    expect(JSON.stringify(replayed)).toBe(stored.output);
    expect(replayed.decision).toBe('halt');
    expect(replayed.stats.criticalFingerprints).toEqual(['fp1:d']);
    expect(replayed.stats.newInstallShare).toBeGreaterThan(0);
    expect(JSON.stringify(JudgeOutputSchema.parse(JSON.parse(stored.output)))).toBe(stored.output);
  });

  test('an input without the new fields is refused, not replayed under the new rules', ({
    expect,
  }) => {
    const input = {
      params,
      prior: initialJudgeState(params),
      stage: { index: 0, startedAt: T0, isLast: false },
      windows: [win(0)],
      fingerprints: [],
      now: T0 + WINDOW_MS,
    };
    expect(JudgeInputSchema.safeParse(input).success).toBe(true);
    const { fingerprints: _, ...withoutFingerprints } = input;
    expect(JudgeInputSchema.safeParse(withoutFingerprints).success).toBe(false);
    const { canaryNewInstallAffectedSessions: __, ...oldWindow } = win(0);
    expect(JudgeInputSchema.safeParse({ ...input, windows: [oldWindow] }).success).toBe(false);
  });
});

const HealthWindowKeys: Record<keyof HealthWindow, true> = {
  start: true,
  canarySessions: true,
  canaryAffectedSessions: true,
  baselineSessions: true,
  baselineAffectedSessions: true,
  canaryNewInstallSessions: true,
  canaryNewInstallAffectedSessions: true,
  baselineNewInstallSessions: true,
  baselineNewInstallAffectedSessions: true,
  canaryInstalls: true,
  canaryAffectedInstalls: true,
  baselineInstalls: true,
  baselineAffectedInstalls: true,
};
