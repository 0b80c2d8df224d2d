import type { HealthWindow, JudgeParams } from '../../src/judge/judge.schema.ts';
import { initialJudgeState, judge, WINDOW_MS } from '../../src/judge/judge.ts';

/**
 * A seeded Monte-Carlo harness for the judge, rebuilt from research/canary.md §3.5 and §6: every
 * look feeds one 5-minute window to the real `judge()`, exactly as the cron does.
 */

/** sfc32: a small, fast, seedable PRNG with a 128-bit state; uniform in (0, 1). */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return ((t >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

/** Exposure counts: a rounded normal approximation is plenty for thousands of sessions. */
function approxBinomial(random: () => number, n: number, p: number): number {
  const k = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * gaussian(random));
  return Math.min(n, Math.max(0, k));
}

/** Exact Binomial(n, p) by geometric waiting times: O(n·p) work, fine for small rates. */
export function binomial(random: () => number, n: number, p: number): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  const logQ = Math.log(1 - p);
  let k = 0;
  let position = 0;
  for (;;) {
    position += Math.floor(Math.log(random()) / logQ) + 1;
    if (position > n) return k;
    k++;
  }
}

/** Errors emitted by `sessions` affected sessions, each Geometric with the given mean (≥ 1). */
function burstErrors(random: () => number, sessions: number, mean: number): number {
  const logQ = Math.log(1 - 1 / mean);
  let errors = 0;
  for (let i = 0; i < sessions; i++) errors += 1 + Math.floor(Math.log(random()) / logQ);
  return errors;
}

export interface Scenario {
  seed: number;
  runs: number;
  /** Looks (= 5-minute windows) per run. */
  looks: number;
  sessionsPerDay: number;
  /** Baseline probability that a session is error-affected. */
  affectedRate: number;
  /** True rate ratio canary/baseline. */
  theta: number;
  /** Canary share of sessions at a time (minutes since the rollout started). */
  share(minutes: number): number;
  /** Stage index and its start (minutes) at a time; defaults to one stage from minute 0. */
  stage?(minutes: number): { index: number; startedAtMinutes: number };
  isLastStage?: boolean;
  /** Feed raw error counts (Geometric bursts of this mean per affected session) as if affected sessions. */
  rawErrorsMean?: number;
  /** Stop a run at the first promotion (power checks); otherwise only a halt ends it. */
  stopOnPromote?: boolean;
  /**
   * Installs in their first day: this share of all sessions, every one on the canary whatever
   * the percentage (research/canary.md §5, §7), error-affected at their own rate. `reported`
   * false feeds them to the judge as if established (what it did before release_health split
   * them out). Absent: no new installs, and not one extra random draw.
   */
  newInstalls?: { share: number; affectedRate: number; reported: boolean };
  /**
   * One install's reports added to every window (issue 11 item 2): sessions and affected
   * sessions per version, within ingest's cap per install and window. No random draws.
   */
  oneInstall?: {
    canary?: { sessions: number; affected: number };
    baseline?: { sessions: number; affected: number };
  };
}

export interface RunOutcome {
  haltAtMinutes: number | null;
  promoteAtMinutes: number | null;
}

export function simulate(params: JudgeParams, scenario: Scenario): RunOutcome[] {
  const random = createRandom(scenario.seed);
  const perWindow = scenario.sessionsPerDay / 288;
  const outcomes: RunOutcome[] = [];
  for (let run = 0; run < scenario.runs; run++) {
    let state = initialJudgeState(params);
    const outcome: RunOutcome = { haltAtMinutes: null, promoteAtMinutes: null };
    for (let look = 0; look < scenario.looks; look++) {
      const minutes = look * 5;
      // Diurnal traffic (±50%), which the conditional test must not mistake for a signal.
      const diurnal = 1 + 0.5 * Math.sin((2 * Math.PI * minutes) / 1440);
      const total = Math.max(
        0,
        Math.round(perWindow * diurnal + Math.sqrt(perWindow) * gaussian(random)),
      );
      const ni = scenario.newInstalls;
      const newSessions = ni === undefined ? 0 : approxBinomial(random, total, ni.share);
      const established = total - newSessions;
      const canarySessions = approxBinomial(random, established, scenario.share(minutes));
      const baselineSessions = established - canarySessions;
      let canaryAffected = binomial(
        random,
        canarySessions,
        Math.min(1, scenario.affectedRate * scenario.theta),
      );
      let baselineAffected = binomial(random, baselineSessions, scenario.affectedRate);
      // Honest traffic: a session every few hours per install, so each session of a 5-minute
      // window comes from its own install (and each affected session too).
      const canaryAffectedInstalls = canaryAffected;
      const baselineAffectedInstalls = baselineAffected;
      if (scenario.rawErrorsMean !== undefined) {
        canaryAffected = burstErrors(random, canaryAffected, scenario.rawErrorsMean);
        baselineAffected = burstErrors(random, baselineAffected, scenario.rawErrorsMean);
      }
      const newAffected =
        ni === undefined
          ? 0
          : binomial(random, newSessions, Math.min(1, ni.affectedRate * scenario.theta));
      const reported = ni?.reported === true;
      const one = scenario.oneInstall;
      const extra = (arm: { sessions: number; affected: number } | undefined) => ({
        sessions: arm?.sessions ?? 0,
        affected: arm?.affected ?? 0,
        installs: (arm?.sessions ?? 0) > 0 ? 1 : 0,
        affectedInstalls: (arm?.affected ?? 0) > 0 ? 1 : 0,
      });
      const xc = extra(one?.canary);
      const xb = extra(one?.baseline);
      const window: HealthWindow = {
        start: look * WINDOW_MS,
        canarySessions: canarySessions + newSessions + xc.sessions,
        canaryAffectedSessions: canaryAffected + newAffected + xc.affected,
        baselineSessions: baselineSessions + xb.sessions,
        baselineAffectedSessions: baselineAffected + xb.affected,
        canaryNewInstallSessions: reported ? newSessions : 0,
        canaryNewInstallAffectedSessions: reported ? newAffected : 0,
        baselineNewInstallSessions: 0,
        baselineNewInstallAffectedSessions: 0,
        canaryInstalls: canarySessions + newSessions + xc.installs,
        canaryAffectedInstalls: canaryAffectedInstalls + newAffected + xc.affectedInstalls,
        baselineInstalls: baselineSessions + xb.installs,
        baselineAffectedInstalls: baselineAffectedInstalls + xb.affectedInstalls,
      };
      const stage = scenario.stage?.(minutes) ?? { index: 0, startedAtMinutes: 0 };
      const out = judge({
        params,
        prior: state,
        stage: {
          index: stage.index,
          startedAt: stage.startedAtMinutes * 60_000,
          isLast: scenario.isLastStage ?? false,
        },
        windows: [window],
        fingerprints: [],
        now: (look + 1) * WINDOW_MS,
      });
      state = out.state;
      if (out.decision === 'halt') {
        outcome.haltAtMinutes = minutes + 5;
        break;
      }
      if (out.decision === 'promote' && outcome.promoteAtMinutes === null) {
        outcome.promoteAtMinutes = minutes + 5;
        if (scenario.stopOnPromote === true) break;
      }
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

/** `12.3% (123/1000)` */
export function rate(hits: number, runs: number): string {
  return `${((100 * hits) / runs).toFixed(1)}% (${hits}/${runs})`;
}

/** Linear adoption of a new target share over `lagMinutes` (Chrome polls "every few hours"). */
export function ramp(
  steps: readonly { atMinutes: number; share: number }[],
  lagMinutes: number,
): (minutes: number) => number {
  return (minutes) => {
    let current = 0;
    for (const step of steps) {
      if (minutes < step.atMinutes) break;
      const progress = Math.min(1, (minutes - step.atMinutes) / lagMinutes);
      current = current + (step.share - current) * progress;
    }
    return current;
  };
}
