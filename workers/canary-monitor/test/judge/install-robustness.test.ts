import { bundledConfig, RELEASE_HEALTH_LIMITS } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { installShare } from '../../src/judge/install-robustness.ts';
import type {
  FingerprintCounts,
  HealthWindow,
  JudgeOutput,
  JudgeParams,
} from '../../src/judge/judge.schema.ts';
import {
  initialJudgeState,
  judge,
  judgeParamsFromConfig,
  WINDOW_MS,
} from '../../src/judge/judge.ts';

/**
 * Release health is client-reported, so untrusted (issue 11, item 2): no single install — one
 * made-up install id sending the most ingest counts for it, every window — can trigger or flip a
 * decision; many installs sending the same still can.
 */
const params = judgeParamsFromConfig(bundledConfig().canary);
const CAP = RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow;
const T0 = Date.UTC(2026, 10, 21, 0, 0);

type Arm = { sessions: number; affected: number; installs: number; affectedInstalls: number };

/** Honest traffic: every session from its own install. */
const honest = (sessions: number, affected: number): Arm => ({
  sessions,
  affected,
  installs: sessions,
  affectedInstalls: affected,
});

/** What `installs` more installs add, `sessions` each, `affected` of them error-affected. */
function plus(arm: Arm, installs: number, sessions: number, affected: number): Arm {
  return {
    sessions: arm.sessions + installs * sessions,
    affected: arm.affected + installs * affected,
    installs: arm.installs + installs,
    affectedInstalls: arm.affectedInstalls + (affected > 0 ? installs : 0),
  };
}

function win(i: number, canary: Arm, baseline: Arm): HealthWindow {
  return {
    start: T0 + i * WINDOW_MS,
    canarySessions: canary.sessions,
    canaryAffectedSessions: canary.affected,
    baselineSessions: baseline.sessions,
    baselineAffectedSessions: baseline.affected,
    canaryNewInstallSessions: 0,
    canaryNewInstallAffectedSessions: 0,
    baselineNewInstallSessions: 0,
    baselineNewInstallAffectedSessions: 0,
    canaryInstalls: canary.installs,
    canaryAffectedInstalls: canary.affectedInstalls,
    baselineInstalls: baseline.installs,
    baselineAffectedInstalls: baseline.affectedInstalls,
  };
}

function run(
  windows: HealthWindow[],
  opts: { p?: JudgeParams; fingerprints?: FingerprintCounts[] } = {},
): JudgeOutput[] {
  const p = opts.p ?? params;
  let prior = initialJudgeState(p);
  return windows.map((w) => {
    const out = judge({
      params: p,
      prior,
      stage: { index: 0, startedAt: T0, isLast: false },
      windows: [w],
      fingerprints: opts.fingerprints ?? [],
      now: w.start + WINDOW_MS,
    });
    prior = out.state;
    return out;
  });
}

const decisions = (outs: JudgeOutput[]) => new Set(outs.map((o) => o.decision));
const DAY = 288;

describe('one install cannot trigger or flip a decision (issue 11, item 2)', () => {
  test('one install sending errored canary sessions every window never halts a healthy release', ({
    expect,
  }) => {
    // Healthy: 1% on both sides. One install adds the cap of error-affected canary sessions to
    // every window of a day: 13% affected on the canary, a critical rate if it were believed.
    const healthyCanary = honest(100, 1);
    const baseline = honest(2_000, 20);
    const flooded = run(
      Array.from({ length: DAY }, (_, i) => win(i, plus(healthyCanary, 1, CAP, CAP), baseline)),
    );
    expect(decisions(flooded)).toEqual(new Set(['hold']));
    expect(flooded.some((o) => o.reasons.includes('single_install_sensitive'))).toBe(true);
    expect(flooded.at(-1)?.stats.canaryRate).toBeGreaterThan(params.criticalRate);
    // The same sessions from twelve installs (one each) halt within the hour.
    const many = run(
      Array.from({ length: 12 }, (_, i) => win(i, plus(healthyCanary, CAP, 1, 1), baseline)),
    );
    expect(many.some((o) => o.decision === 'halt')).toBe(true);
  });

  test('one install cannot carry a promotion of a worse release, many installs can', ({
    expect,
  }) => {
    // The canary is 1.5× worse (thetaBad): never promoted on honest data. One install adds the
    // cap of clean canary sessions and of error-affected baseline sessions every window, which
    // makes the canary look better than the baseline.
    const p = { ...params, firstStageMinSoakMinutes: 60, minSessionsPerStage: 1_000 };
    const canary = honest(200, 3);
    const baseline = honest(2_000, 20);
    const honestOuts = run(
      Array.from({ length: DAY }, (_, i) => win(i, canary, baseline)),
      { p },
    );
    expect(honestOuts.some((o) => o.decision === 'promote')).toBe(false);
    const oneInstall = run(
      Array.from({ length: DAY }, (_, i) =>
        win(i, plus(canary, 1, CAP, 0), plus(baseline, 1, CAP, CAP)),
      ),
      { p },
    );
    expect(oneInstall.some((o) => o.decision === 'promote')).toBe(false);
    expect(oneInstall.some((o) => o.reasons.includes('single_install_sensitive'))).toBe(true);
    // Twelve installs sending one session each (the same counts) do carry it.
    const manyInstalls = run(
      Array.from({ length: DAY }, (_, i) =>
        win(i, plus(canary, CAP, 1, 0), plus(baseline, CAP, 1, 1)),
      ),
      { p },
    );
    expect(manyInstalls.some((o) => o.decision === 'promote')).toBe(true);
  });

  test('one install flooding clean canary sessions cannot dilute a worse release into promotion', ({
    expect,
  }) => {
    // 1.67× worse than the baseline, at low volume: never promoted on honest data. One install
    // adds the cap of clean canary sessions every window (1.39×, under thetaBad, if believed).
    const p = { ...params, firstStageMinSoakMinutes: 60, minSessionsPerStage: 1_000 };
    const canary = honest(60, 1);
    const baseline = honest(2_000, 20);
    const days = (n: number, c: Arm) =>
      run(
        Array.from({ length: n * DAY }, (_, i) => win(i, c, baseline)),
        { p },
      );
    expect(days(2, canary).some((o) => o.decision === 'promote')).toBe(false);
    const diluted = days(2, plus(canary, 1, CAP, 0));
    expect(diluted.some((o) => o.decision === 'promote')).toBe(false);
    expect(diluted.some((o) => o.reasons.includes('single_install_sensitive'))).toBe(true);
  });

  test('a critical fingerprint from one install does not halt; from three it does', ({
    expect,
  }) => {
    const w = [win(0, honest(100, 1), honest(2_000, 20))];
    const fp = (installs: number): FingerprintCounts => ({
      fingerprint: 'fp1:crit',
      class: 'critical',
      canarySessions: 30,
      baselineSessions: 0,
      installs,
    });
    const [one] = run(w, { fingerprints: [fp(1)] });
    expect(one?.decision).toBe('hold');
    expect(one?.reasons).toContain('too_few_installs');
    expect(one?.stats.criticalFingerprints).toEqual([]);
    const [three] = run(w, { fingerprints: [fp(params.minInstalls)] });
    expect(three?.decision).toBe('halt');
    expect(three?.stats.criticalFingerprints).toEqual(['fp1:crit']);
  });

  test('rows without install counts are read as possibly one install, up to the cap', ({
    expect,
  }) => {
    // 40 canary sessions, 30 affected: a critical rate from 30 installs (the judge's own test),
    // but without counts up to 12 of them may be one install's, leaving 28 < 30 sessions.
    const catastrophic = (installs: number, affectedInstalls: number) =>
      win(0, { sessions: 40, affected: 30, installs, affectedInstalls }, honest(0, 0));
    expect(run([catastrophic(40, 30)])[0]?.reasons).toEqual(['critical_rate']);
    const unknown = run([catastrophic(0, 0)])[0];
    expect(unknown?.decision).toBe('hold');
    expect(unknown?.reasons).toContain('single_install_sensitive');
    expect(unknown?.stats.robust.criticalLowerBound).toBeLessThan(
      unknown?.stats.criticalLowerBound ?? 0,
    );
  });

  test("one install's share: the cap, and one session for every other install", ({ expect }) => {
    const arm = (sessions: number, affected: number, installs: number, affectedInstalls: number) =>
      installShare(CAP, {
        sessions,
        affectedSessions: affected,
        installs,
        affectedInstalls,
        established: { sessions, affectedSessions: affected },
      });
    expect(arm(100, 10, 100, 10)).toEqual({ sessions: 1, affected: 1, clean: 1 });
    expect(arm(100, 10, 95, 3)).toEqual({ sessions: 6, affected: 6, clean: 6 });
    expect(arm(100, 40, 2, 1)).toEqual({ sessions: CAP, affected: CAP, clean: CAP });
    expect(arm(5, 5, 0, 0)).toEqual({ sessions: 5, affected: 5, clean: 0 });
    expect(arm(0, 0, 0, 0)).toEqual({ sessions: 0, affected: 0, clean: 0 });
  });
});
