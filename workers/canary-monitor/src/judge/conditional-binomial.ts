/**
 * The statistics of the judge (research/canary.md §3): error-affected sessions of the canary and
 * of the concurrent baseline are treated as Poisson; conditioning on their sum in one 5-minute
 * window gives a binomial whose success probability depends only on the canary's exposure share
 * and the rate ratio θ, so baseline drift, diurnal traffic and global incidents cancel out.
 * Zero dependencies: only log/exp, no lgamma (the binomial coefficient cancels in every ratio).
 */

/** One window's counts: sessions (exposure) and error-affected sessions, never raw error counts. */
export interface WindowCounts {
  readonly canarySessions: number;
  readonly canaryAffectedSessions: number;
  readonly baselineSessions: number;
  readonly baselineAffectedSessions: number;
}

/** π(θ) = θ·S_C / (θ·S_C + S_B): the chance that an affected session is a canary one (§3.2). */
export function canaryShare(theta: number, canarySessions: number, baselineSessions: number) {
  return (theta * canarySessions) / (theta * canarySessions + baselineSessions);
}

/**
 * ℓ_w(θ₁ : θ₀), the log-likelihood ratio of one window (§3.5). A window without exposure on
 * either side, or without any affected session, carries no information and contributes 0.
 */
export function windowLogLr(theta1: number, theta0: number, w: WindowCounts): number {
  const n = w.canaryAffectedSessions + w.baselineAffectedSessions;
  if (n === 0 || w.canarySessions === 0 || w.baselineSessions === 0) return 0;
  const p1 = canaryShare(theta1, w.canarySessions, w.baselineSessions);
  const p0 = canaryShare(theta0, w.canarySessions, w.baselineSessions);
  const x = w.canaryAffectedSessions;
  return x * Math.log(p1 / p0) + (n - x) * Math.log((1 - p1) / (1 - p0));
}

/**
 * ℓ_w(θ_j : θ₀) for every θ_j of a grid at once, as x·log(θ_j/θ₀) − n·log((θ_j·r + 1)/(θ₀·r + 1))
 * with r = S_C/S_B: the same ratio as `windowLogLr` (π(θ) = θr/(θr + 1)), with one log per θ
 * instead of two. For the many extra evaluations of the one-install bounds (install-robustness.ts);
 * `logRatios[j]` is log(θ_j/θ₀).
 */
export function windowLogLrGrid(
  thetas: readonly number[],
  theta0: number,
  logRatios: readonly number[],
  w: WindowCounts,
): number[] {
  const n = w.canaryAffectedSessions + w.baselineAffectedSessions;
  if (n === 0 || w.canarySessions === 0 || w.baselineSessions === 0) return thetas.map(() => 0);
  const r = w.canarySessions / w.baselineSessions;
  const x = w.canaryAffectedSessions;
  const log0 = Math.log(theta0 * r + 1);
  return thetas.map((theta, j) => x * (logRatios[j] ?? 0) - n * (Math.log(theta * r + 1) - log0));
}

/** log((1/k)·Σ exp(lᵢ)) without overflow: the log of an equally weighted mixture e-value. */
export function logMeanExp(logs: readonly number[]): number {
  if (logs.length === 0) return 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const l of logs) if (l > max) max = l;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return max + Math.log(sum / logs.length);
}

/** Two-sided Wilson score interval of a proportion x/n at normal quantile z. */
export function wilsonInterval(x: number, n: number, z: number): { lo: number; hi: number } {
  if (n <= 0) return { lo: 0, hi: 1 };
  const p = x / n;
  const z2 = z * z;
  const d = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/**
 * Point estimate and interval of θ from pooled counts (§3.3: Wilson on the conditional
 * proportion, mapped through π/(1−π)·S_B/S_C). For reporting only; decisions use the e-values.
 * `null` stands for an unbounded or undefined value (JSON has no Infinity).
 */
export function rateRatioEstimate(
  c: WindowCounts,
  z: number,
): { thetaHat: number | null; lo: number | null; hi: number | null } {
  const n = c.canaryAffectedSessions + c.baselineAffectedSessions;
  if (c.canarySessions === 0 || c.baselineSessions === 0 || n === 0) {
    return { thetaHat: null, lo: null, hi: null };
  }
  const exposure = c.baselineSessions / c.canarySessions;
  const toTheta = (pi: number) => (pi >= 1 ? null : (pi / (1 - pi)) * exposure);
  const { lo, hi } = wilsonInterval(c.canaryAffectedSessions, n, z);
  return {
    thetaHat:
      c.baselineAffectedSessions === 0
        ? null
        : c.canaryAffectedSessions /
          c.canarySessions /
          (c.baselineAffectedSessions / c.baselineSessions),
    lo: toTheta(lo),
    hi: toTheta(hi),
  };
}
