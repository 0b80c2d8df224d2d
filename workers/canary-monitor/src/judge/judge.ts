import { type HomeostatConfig, RELEASE_HEALTH_LIMITS } from '@homeostat/shared';
import {
  logMeanExp,
  rateRatioEstimate,
  type WindowCounts,
  wilsonInterval,
  windowLogLr,
  windowLogLrGrid,
} from './conditional-binomial.ts';
import { installShare, leaveOneInstallOut, oneInstallMost } from './install-robustness.ts';
import type {
  Counts,
  Decision,
  FingerprintCounts,
  HealthWindow,
  JudgeAlert,
  JudgeInput,
  JudgeOutput,
  JudgeParams,
  JudgeState,
  Reason,
  RobustState,
} from './judge.schema.ts';

/** 5-minute windows, the unit of release_health (D1-schema.sql) and of the cron. */
export const WINDOW_MS = 300_000;
const Z95 = 1.959963984540054;
/** One-sided 99%: the critical guardrail's "99% Wilson lower bound" (§4.2 step 3). */
const Z99_ONE_SIDED = 2.3263478740408408;
/**
 * A critical fingerprint halts once seen in this many canary sessions and no baseline session
 * (§4.2 step 3). A constant, not a parameter: §4.3 leaves it out of the tunable set.
 */
export const CRITICAL_FINGERPRINT_MIN_CANARY_SESSIONS = 3;
/**
 * Distinct installs a halt or a promotion needs behind it (issue 11 item 2): more than one, so no
 * single install carries it, and as many as the critical-fingerprint guardrail's sessions.
 */
export const MIN_INSTALLS = 3;

export function judgeParamsFromConfig(canary: HomeostatConfig['canary']): JudgeParams {
  return {
    alpha: canary.alpha,
    beta: canary.beta,
    theta0: canary.theta0,
    thetaGrid: [...canary.thetaGrid],
    thetaBad: canary.thetaBad,
    minCanaryAffected: canary.minCanaryAffected,
    minSessionsPerStage: canary.minSessionsPerStage,
    firstStageMinSoakMinutes: canary.firstStageMinSoakMinutes,
    minSoakMinutes: canary.minSoakMinutes,
    maxStageMinutes: canary.maxStageHours * 60,
    criticalRate: canary.criticalRate,
    criticalMinSessions: canary.criticalMinSessions,
    maxDataGapMinutes: canary.maxDataGapMinutes,
    installCap: RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow,
    minInstalls: MIN_INSTALLS,
  };
}

const zeroCounts = (): Counts => ({
  canarySessions: 0,
  canaryAffectedSessions: 0,
  baselineSessions: 0,
  baselineAffectedSessions: 0,
});

const initialRobustState = (params: JudgeParams): RobustState => ({
  logLrHalt: params.thetaGrid.map(() => 0),
  logLrSafe: 0,
  logLrSafeBest: 0,
  canarySessions: 0,
  canaryAffectedSessions: 0,
  stageCanarySessions: 0,
  stageCanaryInstalls: 0,
  canaryAffectedInstalls: 0,
  trailingDataWindows: 0,
});

export function initialJudgeState(params: JudgeParams, stageIndex = 0): JudgeState {
  return {
    stageIndex,
    windows: 0,
    lastWindowStart: null,
    logLrHalt: params.thetaGrid.map(() => 0),
    maxLogEHalt: 0,
    logLrSafe: 0,
    rollout: zeroCounts(),
    stage: zeroCounts(),
    canaryNewInstallSessions: 0,
    trailingGapWindows: 0,
    trailingDataWindows: 0,
    gapAlerted: false,
    inconclusiveAlerted: false,
    robust: initialRobustState(params),
  };
}

/**
 * The part of a window the judge tests: established installs, i.e. sessions and affected
 * sessions minus those of installs younger than 24 h (§4.3, metric row). New installs get the
 * newest version whatever the percentage (§5, §7), so counting them would fill the canary with
 * first-run sessions the baseline never gets. Clamped, because ingest flushes the session and
 * the error counts separately and a window can briefly disagree with itself: an inconsistent row
 * must not manufacture evidence.
 */
export function establishedCounts(w: HealthWindow): WindowCounts {
  const canarySessions = Math.max(0, w.canarySessions - w.canaryNewInstallSessions);
  const baselineSessions = Math.max(0, w.baselineSessions - w.baselineNewInstallSessions);
  return {
    canarySessions,
    canaryAffectedSessions: Math.min(
      canarySessions,
      Math.max(0, w.canaryAffectedSessions - w.canaryNewInstallAffectedSessions),
    ),
    baselineSessions,
    baselineAffectedSessions: Math.min(
      baselineSessions,
      Math.max(0, w.baselineAffectedSessions - w.baselineNewInstallAffectedSessions),
    ),
  };
}

/**
 * Critical fingerprints that halt (§4.2 step 3, second bullet): triage's policy class
 * `critical`, seen in ≥ 3 canary sessions and in no baseline session. The research also names
 * "the service-worker start-failure class"; nothing classifies start failures yet, so only
 * triage's class counts here. Sorted, so the output does not depend on the loader's order.
 */
function criticalFingerprints(fingerprints: readonly FingerprintCounts[]): FingerprintCounts[] {
  return fingerprints
    .filter(
      (f) =>
        f.class === 'critical' &&
        f.canarySessions >= CRITICAL_FINGERPRINT_MIN_CANARY_SESSIONS &&
        f.baselineSessions === 0,
    )
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
}

/**
 * Folds one window into the evidence without one install's share (install-robustness.ts): each
 * test takes the corner least favourable to the action it could lead to, per alternative θ, so
 * the mixture is a lower bound whatever one install sent. The counts leave out the install's
 * affected sessions (the critical rate) or its sessions (the stage's exposure).
 */
function addRobust(
  params: JudgeParams,
  /** log(θ_j/θ₀) per thetaGrid entry, computed once per look. */
  logRatios: readonly number[],
  r: RobustState,
  w: HealthWindow,
  e: WindowCounts,
): RobustState {
  const cap = params.installCap;
  const canary = installShare(cap, {
    sessions: w.canarySessions,
    affectedSessions: w.canaryAffectedSessions,
    installs: w.canaryInstalls,
    affectedInstalls: w.canaryAffectedInstalls,
    established: { sessions: e.canarySessions, affectedSessions: e.canaryAffectedSessions },
  });
  const baseline = installShare(cap, {
    sessions: w.baselineSessions,
    affectedSessions: w.baselineAffectedSessions,
    installs: w.baselineInstalls,
    affectedInstalls: w.baselineAffectedInstalls,
    established: { sessions: e.baselineSessions, affectedSessions: e.baselineAffectedSessions },
  });
  const out = leaveOneInstallOut(e, canary, baseline);
  // Corners that coincide (nothing of that kind to leave out) are evaluated once.
  const grid = (c: WindowCounts) => windowLogLrGrid(params.thetaGrid, params.theta0, logRatios, c);
  const haltA = grid(out.baselineClean);
  const haltB = canary.affected === 0 ? haltA : grid(out.canaryErroredBaselineClean);
  const logLrHalt = haltA.map((a, j) => (r.logLrHalt[j] ?? 0) + Math.min(a, haltB[j] ?? a));
  const safe = (c: WindowCounts) => windowLogLr(1, params.thetaBad, c);
  const safeA = safe(out.baselineClean);
  const safeB = canary.affected === 0 ? safeA : safe(out.canaryErroredBaselineClean);
  const safeC = safe(out.canaryClean);
  const safeD = baseline.affected === 0 ? safeC : safe(out.canaryCleanBaselineErrored);
  const beyondOneInstall =
    w.canarySessions -
    oneInstallMost(cap, w.canarySessions, w.canaryInstalls) +
    w.baselineSessions -
    oneInstallMost(cap, w.baselineSessions, w.baselineInstalls);
  return {
    logLrHalt,
    logLrSafe: r.logLrSafe + Math.min(safeC, safeD),
    logLrSafeBest: r.logLrSafeBest + Math.max(safeA, safeB),
    canarySessions: r.canarySessions + e.canarySessions - canary.affected,
    canaryAffectedSessions: r.canaryAffectedSessions + e.canaryAffectedSessions - canary.affected,
    stageCanarySessions: r.stageCanarySessions + e.canarySessions - canary.sessions,
    stageCanaryInstalls: Math.max(r.stageCanaryInstalls, w.canaryInstalls),
    canaryAffectedInstalls: Math.max(r.canaryAffectedInstalls, w.canaryAffectedInstalls),
    trailingDataWindows: beyondOneInstall > 0 ? r.trailingDataWindows + 1 : 0,
  };
}

function addCounts(c: Counts, w: WindowCounts): Counts {
  return {
    canarySessions: c.canarySessions + w.canarySessions,
    canaryAffectedSessions: c.canaryAffectedSessions + w.canaryAffectedSessions,
    baselineSessions: c.baselineSessions + w.baselineSessions,
    baselineAffectedSessions: c.baselineAffectedSessions + w.baselineAffectedSessions,
  };
}

/** Folds new windows into the state; windows at or before `lastWindowStart` are ignored. */
function accumulate(
  params: JudgeParams,
  prior: JudgeState,
  stageIndex: number,
  windows: readonly HealthWindow[],
) {
  const newStage = prior.stageIndex !== stageIndex;
  const logLrHalt = [...prior.logLrHalt];
  let {
    maxLogEHalt,
    windows: seen,
    lastWindowStart,
    trailingGapWindows,
    trailingDataWindows,
  } = prior;
  let logLrSafe = newStage ? 0 : prior.logLrSafe;
  let rollout = prior.rollout;
  let stage = newStage ? zeroCounts() : prior.stage;
  let canaryNewInstallSessions = prior.canaryNewInstallSessions;
  let gapAlerted = prior.gapAlerted;
  let robust: RobustState = newStage
    ? {
        ...prior.robust,
        logLrSafe: 0,
        logLrSafeBest: 0,
        stageCanarySessions: 0,
        stageCanaryInstalls: 0,
      }
    : prior.robust;
  let consumed = 0;
  const logRatios = params.thetaGrid.map((theta) => Math.log(theta / params.theta0));
  for (const w of windows) {
    if (lastWindowStart !== null && w.start <= lastWindowStart) continue;
    consumed++;
    seen++;
    lastWindowStart = w.start;
    // A window with no session on either side is a gap: it neither promotes nor halts (§4.2).
    // Data health counts every session, new installs too: they show that ingest is flowing.
    if (w.canarySessions === 0 && w.baselineSessions === 0) {
      trailingGapWindows++;
      trailingDataWindows = 0;
      robust = { ...robust, trailingDataWindows: 0 };
      continue;
    }
    trailingGapWindows = 0;
    trailingDataWindows++;
    gapAlerted = false;
    const e = establishedCounts(w);
    for (let j = 0; j < params.thetaGrid.length; j++) {
      logLrHalt[j] = (logLrHalt[j] ?? 0) + windowLogLr(params.thetaGrid[j] ?? 1, params.theta0, e);
    }
    logLrSafe += windowLogLr(1, params.thetaBad, e);
    rollout = addCounts(rollout, e);
    stage = addCounts(stage, e);
    canaryNewInstallSessions += w.canarySessions - e.canarySessions;
    robust = addRobust(params, logRatios, robust, w, e);
    // Always-valid p-value = 1 / max E so far (§3.5).
    const logE = logMeanExp(logLrHalt);
    if (logE > maxLogEHalt) maxLogEHalt = logE;
  }
  const state: JudgeState = {
    stageIndex,
    windows: seen,
    lastWindowStart,
    logLrHalt,
    maxLogEHalt,
    logLrSafe,
    rollout,
    stage,
    canaryNewInstallSessions,
    trailingGapWindows,
    trailingDataWindows,
    gapAlerted,
    inconclusiveAlerted: newStage ? false : prior.inconclusiveAlerted,
    robust,
  };
  return { state, consumed };
}

/**
 * One look of the judge (research/canary.md §4.2): pure and deterministic, so a stored input
 * replays to the same output. Order of precedence: the critical guardrail, data gaps, the
 * statistical halt, promotion, then INCONCLUSIVE after the maximum stage duration, else HOLD.
 */
export function judge(input: JudgeInput): JudgeOutput {
  const { params, stage, now } = input;
  const { state: accumulated, consumed } = accumulate(
    params,
    input.prior,
    stage.index,
    input.windows,
  );
  let state = accumulated;
  const reasons: Reason[] = [];
  const alerts: JudgeAlert[] = [];
  if (consumed === 0) reasons.push('no_new_windows');

  const stageAgeMinutes = (now - stage.startedAt) / 60_000;
  const logEHalt = logMeanExp(state.logLrHalt);
  const logHaltThreshold = Math.log(1 / params.alpha);
  const logSafeThreshold = Math.log(1 / params.beta);
  const r = state.rollout;
  const canaryRate = r.canarySessions > 0 ? r.canaryAffectedSessions / r.canarySessions : null;
  const criticalLowerBound =
    r.canarySessions > 0
      ? wilsonInterval(r.canaryAffectedSessions, r.canarySessions, Z99_ONE_SIDED).lo
      : null;
  const gapMinutes = state.trailingGapWindows * (WINDOW_MS / 60_000);
  const rateIsCritical =
    criticalLowerBound !== null &&
    r.canarySessions >= params.criticalMinSessions &&
    criticalLowerBound > params.criticalRate;

  // Every action must also hold with one install's share of every window left out, and have
  // enough distinct installs behind it (issue 11 item 2; install-robustness.ts).
  const rb = state.robust;
  const robustLogEHalt = logMeanExp(rb.logLrHalt);
  const robustCriticalLowerBound =
    rb.canarySessions > 0
      ? wilsonInterval(rb.canaryAffectedSessions, rb.canarySessions, Z99_ONE_SIDED).lo
      : null;
  const robustRateIsCritical =
    robustCriticalLowerBound !== null &&
    rb.canarySessions >= params.criticalMinSessions &&
    robustCriticalLowerBound > params.criticalRate;
  const errorInstalls = rb.canaryAffectedInstalls >= params.minInstalls;
  const criticalSeen = criticalFingerprints(input.fingerprints);
  const critical = criticalSeen.filter((f) => f.installs >= params.minInstalls);
  const because = (reason: Reason) => {
    if (!reasons.includes(reason)) reasons.push(reason);
  };

  let decision: Decision = 'hold';
  const haltsOnRate = rateIsCritical && robustRateIsCritical && errorInstalls;
  if (haltsOnRate || critical.length > 0) {
    // Kayenta-style critical metrics: a catastrophic build halts at once, before the data-gap
    // and evidence gates (§4.2 step 3). Both reasons are given when both fire.
    decision = 'halt';
    if (haltsOnRate) reasons.push('critical_rate');
    if (critical.length > 0) reasons.push('critical_fingerprint');
  } else if (state.trailingGapWindows > 0) {
    reasons.push('data_gap');
    if (gapMinutes > params.maxDataGapMinutes && !state.gapAlerted) {
      alerts.push('data_gap');
      state = { ...state, gapAlerted: true };
    }
  } else if (
    logEHalt >= logHaltThreshold &&
    robustLogEHalt >= logHaltThreshold &&
    rb.canaryAffectedSessions >= params.minCanaryAffected &&
    errorInstalls
  ) {
    decision = 'halt';
    reasons.push('e_halt');
  } else {
    // A halt the evidence gives, held back: by one install's share, by too few affected
    // sessions or by too few installs.
    if (rateIsCritical && !robustRateIsCritical) because('single_install_sensitive');
    if (criticalSeen.length > critical.length || (rateIsCritical && robustRateIsCritical)) {
      because('too_few_installs');
    }
    if (logEHalt >= logHaltThreshold) {
      if (robustLogEHalt < logHaltThreshold) because('single_install_sensitive');
      else if (rb.canaryAffectedSessions < params.minCanaryAffected) {
        because('halt_needs_affected_sessions');
      } else because('too_few_installs');
    }
    const soak = stage.index === 0 ? params.firstStageMinSoakMinutes : params.minSoakMinutes;
    const s = state.stage;
    const gates: Reason[] = [];
    if (s.canarySessions === 0) gates.push('no_canary_sessions');
    if (stageAgeMinutes < soak) gates.push('soaking');
    // Exposure and data flow count only beyond one install's share of each window.
    if (rb.stageCanarySessions < params.minSessionsPerStage) gates.push('min_sessions');
    // Promotion also needs 30 minutes of uninterrupted data (§4.2 step 5).
    if (rb.trailingDataWindows * (WINDOW_MS / 60_000) < params.maxDataGapMinutes) {
      gates.push('data_gap');
    }
    if (rb.stageCanaryInstalls < params.minInstalls) gates.push('too_few_installs');
    // At 100% the baseline empties as users update, so E_safe cannot grow: the last stage
    // completes on soak and sessions alone, while the halt test keeps running until then.
    if (!stage.isLast && state.logLrSafe < logSafeThreshold) gates.push('insufficient_evidence');
    if (!stage.isLast && state.logLrSafe >= logSafeThreshold && rb.logLrSafe < logSafeThreshold) {
      gates.push('single_install_sensitive');
    }
    if (gates.length === 0) {
      decision = 'promote';
      reasons.push(stage.isLast ? 'final_stage_soaked' : 'e_safe');
    } else {
      for (const gate of gates) because(gate);
      if (stageAgeMinutes > params.maxStageMinutes) {
        reasons.push('max_stage_duration');
        // Only the evidence kept the stage from promoting, and without one install's share
        // (errors sent for the canary, clean sessions for the baseline) it would not have:
        // flagged, so that one install cannot trigger a rollback through an INCONCLUSIVE
        // (rollout-halt.ts holds it for a human instead).
        const evidenceOnly = gates.every(
          (g) => g === 'insufficient_evidence' || g === 'single_install_sensitive',
        );
        if (!stage.isLast && evidenceOnly && rb.logLrSafeBest >= logSafeThreshold) {
          because('single_install_may_block');
        }
        if (!state.inconclusiveAlerted) {
          decision = 'inconclusive';
          alerts.push('inconclusive');
          state = { ...state, inconclusiveAlerted: true };
        }
      }
    }
  }

  // Every canary session is either established (r) or a new install's: the share of the latter
  // should sit far above the deploy percentage if new installs do get the canary (§7).
  const allCanarySessions = r.canarySessions + state.canaryNewInstallSessions;
  const newInstallShare =
    allCanarySessions > 0 ? state.canaryNewInstallSessions / allCanarySessions : null;
  return {
    decision,
    reasons,
    alerts,
    state,
    stats: {
      logEHalt,
      logHaltThreshold,
      alwaysValidP: Math.min(1, Math.exp(-state.maxLogEHalt)),
      logESafe: state.logLrSafe,
      logSafeThreshold,
      stageAgeMinutes,
      rollout: rateRatioEstimate(state.rollout, Z95),
      stage: rateRatioEstimate(state.stage, Z95),
      canaryRate,
      criticalLowerBound,
      criticalFingerprints: critical.map((f) => f.fingerprint),
      newInstallShare,
      robust: {
        logEHalt: robustLogEHalt,
        logESafe: rb.logLrSafe,
        logESafeBest: rb.logLrSafeBest,
        criticalLowerBound: robustCriticalLowerBound,
      },
    },
  };
}
