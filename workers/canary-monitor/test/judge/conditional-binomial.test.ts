import { describe, test } from 'vitest';
import {
  logMeanExp,
  rateRatioEstimate,
  wilsonInterval,
  windowLogLr,
  windowLogLrGrid,
} from '../../src/judge/conditional-binomial.ts';

/** log Binomial(n, p) pmf at k, from log-factorials summed term by term: an independent oracle. */
function logBinomialPmf(k: number, n: number, p: number): number {
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
  return logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p);
}

describe('conditional binomial', () => {
  test('the window log-LR is the log ratio of the two conditional binomial pmfs', ({ expect }) => {
    const w = {
      canarySessions: 700,
      canaryAffectedSessions: 9,
      baselineSessions: 13_300,
      baselineAffectedSessions: 120,
    };
    const n = w.canaryAffectedSessions + w.baselineAffectedSessions;
    for (const theta of [1.25, 2, 5]) {
      const pi = (t: number) => (t * 700) / (t * 700 + 13_300);
      const oracle = logBinomialPmf(9, n, pi(theta)) - logBinomialPmf(9, n, pi(1));
      expect(windowLogLr(theta, 1, w)).toBeCloseTo(oracle, 10);
    }
  });

  test('the grid form gives the same log-LR for every θ, and 0 without information', ({
    expect,
  }) => {
    const thetas = [1.25, 1.5, 2, 3, 5];
    for (const theta0 of [1, 1.1]) {
      const ratios = thetas.map((t) => Math.log(t / theta0));
      for (const w of [
        {
          canarySessions: 700,
          canaryAffectedSessions: 9,
          baselineSessions: 13_300,
          baselineAffectedSessions: 120,
        },
        {
          canarySessions: 3,
          canaryAffectedSessions: 3,
          baselineSessions: 40,
          baselineAffectedSessions: 0,
        },
      ]) {
        const grid = windowLogLrGrid(thetas, theta0, ratios, w);
        thetas.forEach((t, j) => {
          expect(grid[j]).toBeCloseTo(windowLogLr(t, theta0, w), 10);
        });
      }
      const empty = {
        canarySessions: 0,
        canaryAffectedSessions: 0,
        baselineSessions: 9,
        baselineAffectedSessions: 1,
      };
      expect(windowLogLrGrid(thetas, theta0, ratios, empty)).toEqual([0, 0, 0, 0, 0]);
    }
  });

  test('a window without exposure or without affected sessions carries no evidence', ({
    expect,
  }) => {
    const none = { canaryAffectedSessions: 0, baselineAffectedSessions: 0 };
    expect(windowLogLr(2, 1, { canarySessions: 5, baselineSessions: 5, ...none })).toBe(0);
    expect(
      windowLogLr(2, 1, {
        canarySessions: 0,
        baselineSessions: 50,
        canaryAffectedSessions: 0,
        baselineAffectedSessions: 3,
      }),
    ).toBe(0);
  });

  test('logMeanExp matches the naive mean and survives huge values', ({ expect }) => {
    const ls = [-1, 0.5, 2, 3.25];
    const naive = Math.log(ls.reduce((s, l) => s + Math.exp(l), 0) / ls.length);
    expect(logMeanExp(ls)).toBeCloseTo(naive, 12);
    expect(logMeanExp([1000, 1000])).toBeCloseTo(1000, 9);
  });

  test('the θ interval reproduces the worked example of research §3.3', ({ expect }) => {
    const est = rateRatioEstimate(
      {
        canarySessions: 1000,
        canaryAffectedSessions: 12,
        baselineSessions: 4000,
        baselineAffectedSessions: 18,
      },
      1.959963984540054,
    );
    expect(est.thetaHat).toBeCloseTo(2.67, 2);
    expect(est.lo).toBeCloseTo(1.3, 2);
    expect(est.hi).toBeCloseTo(5.45, 2);
  });

  test('Wilson bounds stay inside [0, 1] and widen with confidence', ({ expect }) => {
    const narrow = wilsonInterval(3, 30, 1.96);
    const wide = wilsonInterval(3, 30, 2.58);
    expect(wide.lo).toBeLessThan(narrow.lo);
    expect(wide.hi).toBeGreaterThan(narrow.hi);
    expect(wilsonInterval(0, 10, 1.96).lo).toBe(0);
    expect(wilsonInterval(10, 10, 1.96).hi).toBe(1);
  });
});
