import { bundledConfig, RELEASE_HEALTH_LIMITS } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { judgeParamsFromConfig } from '../../src/judge/judge.ts';
import { ramp, rate, simulate } from '../support/simulate.ts';

/**
 * The acceptance checks of research/canary.md §6.3–6.5, run on the production defaults of
 * homeostat.config.json. Seeded, so a run is reproducible; each prints its figures, which the
 * closing note of issue 6 quotes.
 */
const params = judgeParamsFromConfig(bundledConfig().canary);
const HOUR = 60;
const WINDOWS_PER_HOUR = 12;

/** 48 h of 5-minute looks with a 1 → 5 → 20% ramp and a 6 h adoption lag (§6.3). */
const h0Ramp = {
  looks: 48 * WINDOWS_PER_HOUR,
  sessionsPerDay: 576_000,
  affectedRate: 0.02,
  share: ramp(
    [
      { atMinutes: 0, share: 0.01 },
      { atMinutes: 16 * HOUR, share: 0.05 },
      { atMinutes: 32 * HOUR, share: 0.2 },
    ],
    6 * HOUR,
  ),
  stage: (m: number) =>
    m < 16 * HOUR
      ? { index: 0, startedAtMinutes: 0 }
      : m < 32 * HOUR
        ? { index: 1, startedAtMinutes: 16 * HOUR }
        : { index: 2, startedAtMinutes: 32 * HOUR },
};

/**
 * A 5% stage, 1% affected sessions, 6 h adoption ramp (§6.4), at 1,152k sessions/day: about two
 * affected canary sessions per 5-minute window. The research's 288k/day (half a session per
 * window) sufficed while every report was believed; the judge now acts only on evidence that
 * survives leaving out one install's share of every window (issue 11 item 2), which at half an
 * affected session per window leaves nothing to halt on. The last test below prints what the
 * research's volume gives now.
 */
const fivePercentStage = {
  sessionsPerDay: 1_152_000,
  affectedRate: 0.01,
  share: ramp([{ atMinutes: 0, share: 0.05 }], 6 * HOUR),
};
const researchVolume = { ...fivePercentStage, sessionsPerDay: 288_000 };
/** The most one install counts per version and window: ingest's cap. */
const CAP = RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow;

// Seconds of CPU each; generous timeouts so a loaded 2-core CI machine does not fail them.
describe('judge simulation (research/canary.md §6)', { timeout: 60_000 }, () => {
  test('H0: false halts stay within α over 576 looks (§6.3)', async ({ expect }) => {
    const runs = 2_000;
    const outcomes = simulate(params, { ...h0Ramp, seed: 101, runs, theta: 1 });
    const halts = outcomes.filter((o) => o.haltAtMinutes !== null).length;
    console.log(
      `H0 false-halt rate ${rate(halts, runs)} at α = ${params.alpha}, ${h0Ramp.looks} looks, ` +
        'ramp 1→5→20%, 576k sessions/day, 2% affected',
    );
    expect(halts / runs).toBeLessThanOrEqual(0.015);
  });

  test('a 2× regression halts within 12 h (§6.4)', async ({ expect }) => {
    const runs = 1_000;
    const outcomes = simulate(params, {
      ...fivePercentStage,
      seed: 202,
      runs,
      theta: 2,
      looks: 12 * WINDOWS_PER_HOUR,
    });
    const halted = outcomes.filter((o) => o.haltAtMinutes !== null);
    const promoted = outcomes.filter((o) => o.promoteAtMinutes !== null).length;
    const meanHours =
      halted.reduce((s, o) => s + (o.haltAtMinutes ?? 0), 0) / Math.max(1, halted.length) / HOUR;
    console.log(
      `θ=2 halted within 12 h in ${rate(halted.length, runs)}, mean ${meanHours.toFixed(1)} h; ` +
        `promoted ${rate(promoted, runs)} (5% stage, 1,152k sessions/day)`,
    );
    expect(halted.length / runs).toBeGreaterThanOrEqual(0.95);
    expect(promoted).toBe(0);
  });

  test('θ = 1.5 is rarely promoted (β = 5% per stage) (§6.4)', async ({ expect }) => {
    const runs = 1_000;
    const outcomes = simulate(params, {
      ...researchVolume,
      seed: 303,
      runs,
      theta: 1.5,
      looks: 72 * WINDOWS_PER_HOUR,
      stopOnPromote: true,
    });
    const promoted = outcomes.filter((o) => o.promoteAtMinutes !== null).length;
    const halted = outcomes.filter((o) => o.haltAtMinutes !== null).length;
    console.log(
      `θ=1.5 promoted in ${rate(promoted, runs)}, halted in ${rate(halted, runs)} within 72 h ` +
        '(5% stage, 288k sessions/day)',
    );
    expect(promoted / runs).toBeLessThanOrEqual(0.06);
  });

  test('a healthy release (θ = 1) is promoted within 24 h (§6.4)', async ({ expect }) => {
    const runs = 1_000;
    const outcomes = simulate(params, {
      ...fivePercentStage,
      seed: 404,
      runs,
      theta: 1,
      looks: 24 * WINDOWS_PER_HOUR,
      stopOnPromote: true,
    });
    const promoted = outcomes.filter((o) => o.promoteAtMinutes !== null);
    const halted = outcomes.filter((o) => o.haltAtMinutes !== null).length;
    const meanHours =
      promoted.reduce((s, o) => s + (o.promoteAtMinutes ?? 0), 0) /
      Math.max(1, promoted.length) /
      HOUR;
    console.log(
      `θ=1 promoted within 24 h in ${rate(promoted.length, runs)}, mean ${meanHours.toFixed(1)} h; ` +
        `halted ${rate(halted, runs)} (5% stage, 1,152k sessions/day)`,
    );
    expect(promoted.length / runs).toBeGreaterThanOrEqual(0.95);
    // No promotion before the first stage's minimum soak.
    expect(Math.min(...promoted.map((o) => o.promoteAtMinutes ?? 0))).toBeGreaterThanOrEqual(
      params.firstStageMinSoakMinutes,
    );
  });

  test('bursty errors: affected sessions hold α, raw error counts do not (§6.5)', async ({
    expect,
  }) => {
    const runs = 1_000;
    const scenario = { ...h0Ramp, seed: 505, runs, theta: 1 };
    const sessions = simulate(params, scenario);
    // The same traffic model; raw mode expands each affected session into a Geometric(mean 8)
    // burst of errors and feeds those counts to the judge in place of affected sessions.
    const raw = simulate(params, { ...scenario, rawErrorsMean: 8 });
    const sessionHalts = sessions.filter((o) => o.haltAtMinutes !== null).length;
    const rawHalts = raw.filter((o) => o.haltAtMinutes !== null).length;
    console.log(
      `bursty errors (Geometric mean 8): false halts on affected sessions ${rate(sessionHalts, runs)}, ` +
        `on raw error counts ${rate(rawHalts, runs)}`,
    );
    expect(sessionHalts / runs).toBeLessThanOrEqual(0.015);
    expect(rawHalts / runs).toBeGreaterThan(0.2);
  });

  test('new installs: left out, a healthy release holds α; counted, it halts (§4.3)', async ({
    expect,
  }) => {
    const runs = 1_000;
    // Counted, nearly every run halts: fewer runs show it.
    const countedRuns = 300;
    // Installs in their first day are 1% of all sessions and all run the canary; they hit
    // first-run paths, so 3% of their sessions are error-affected against 1% for the rest.
    // Established installs are equally healthy on both versions (θ = 1).
    // At 2,304k sessions/day: the first-day bias must stand out beyond one install's share.
    const scenario = {
      ...fivePercentStage,
      sessionsPerDay: 2_304_000,
      seed: 606,
      runs,
      theta: 1,
      looks: 48 * WINDOWS_PER_HOUR,
    };
    const newInstalls = { share: 0.01, affectedRate: 0.03 };
    const excluded = simulate(params, {
      ...scenario,
      newInstalls: { ...newInstalls, reported: true },
    });
    const counted = simulate(params, {
      ...scenario,
      runs: countedRuns,
      newInstalls: { ...newInstalls, reported: false },
    });
    const excludedHalts = excluded.filter((o) => o.haltAtMinutes !== null).length;
    const countedHalts = counted.filter((o) => o.haltAtMinutes !== null).length;
    console.log(
      `new installs (1% of sessions, all on the canary, 3× first-day rate), θ=1, 48 h, 2,304k sessions/day: false halts ` +
        `with new installs left out ${rate(excludedHalts, runs)}, counted ${rate(countedHalts, countedRuns)}`,
    );
    expect(excludedHalts / runs).toBeLessThanOrEqual(0.015);
    expect(countedHalts / countedRuns).toBeGreaterThan(0.2);
  });

  test('one install flooding the canary with errors, or the baseline with clean sessions, cannot make a halt (issue 11)', async ({
    expect,
  }) => {
    // The H0 test's traffic (seed 101): with the install's share left out the judge sees exactly
    // that honest data, so it may halt no more often than α.
    const runs = 1_000;
    const outcomes = simulate(params, {
      ...h0Ramp,
      seed: 101,
      runs,
      theta: 1,
      oneInstall: {
        canary: { sessions: CAP, affected: CAP },
        baseline: { sessions: CAP, affected: 0 },
      },
    });
    const halts = outcomes.filter((o) => o.haltAtMinutes !== null).length;
    console.log(
      `H0 with one install sending ${CAP} affected canary and ${CAP} clean baseline sessions every window: ` +
        `false halts ${rate(halts, runs)}`,
    );
    expect(halts / runs).toBeLessThanOrEqual(0.015);
  });

  test('one install flooding clean canary and affected baseline sessions cannot promote θ = 1.5 (issue 11)', async ({
    expect,
  }) => {
    const runs = 500;
    const outcomes = simulate(params, {
      ...fivePercentStage,
      seed: 808,
      runs,
      theta: 1.5,
      looks: 72 * WINDOWS_PER_HOUR,
      stopOnPromote: true,
      oneInstall: {
        canary: { sessions: CAP, affected: 0 },
        baseline: { sessions: CAP, affected: CAP },
      },
    });
    const promoted = outcomes.filter((o) => o.promoteAtMinutes !== null).length;
    console.log(
      `θ=1.5 with one install flattering the canary every window: promoted in ${rate(promoted, runs)} within 72 h`,
    );
    expect(promoted / runs).toBeLessThanOrEqual(0.06);
  });

  test("at the research's 288k sessions/day a 2× regression is held, never promoted", async ({
    expect,
  }) => {
    // Half an affected canary session per window: one install could be behind every one of them,
    // so neither a halt nor a promotion survives; the stage ends INCONCLUSIVE for a human.
    const runs = 300;
    const regression = simulate(params, {
      ...researchVolume,
      seed: 909,
      runs,
      theta: 2,
      looks: 24 * WINDOWS_PER_HOUR,
    });
    const healthy = simulate(params, {
      ...researchVolume,
      seed: 910,
      runs,
      theta: 1,
      looks: 24 * WINDOWS_PER_HOUR,
      stopOnPromote: true,
    });
    const halted = regression.filter((o) => o.haltAtMinutes !== null).length;
    const promoted = regression.filter((o) => o.promoteAtMinutes !== null).length;
    const healthyPromoted = healthy.filter((o) => o.promoteAtMinutes !== null).length;
    console.log(
      `288k sessions/day, 5% stage, 24 h: θ=2 halted ${rate(halted, runs)}, promoted ${rate(promoted, runs)}; ` +
        `θ=1 promoted ${rate(healthyPromoted, runs)}`,
    );
    expect(promoted).toBe(0);
  });
});
