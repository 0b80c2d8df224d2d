import { z } from 'zod';

/**
 * The judge's inputs and outputs. Every decision row stores the input and the output as JSON so
 * that `judge(storedInput)` reproduces the stored output bit for bit (research/canary.md §6.7);
 * these schemas parse them back. JSON round-trips every finite double exactly, and no field is
 * ever ±Infinity or NaN (unbounded values are `null`).
 */

const count = z.int().min(0);

export const JudgeParamsSchema = z.strictObject({
  alpha: z.number().gt(0).lt(1),
  beta: z.number().gt(0).lt(1),
  theta0: z.number().min(1),
  thetaGrid: z.array(z.number().gt(1)).min(1),
  thetaBad: z.number().gt(1),
  minCanaryAffected: count,
  minSessionsPerStage: count,
  firstStageMinSoakMinutes: count,
  minSoakMinutes: count,
  maxStageMinutes: z.number().positive(),
  criticalRate: z.number().gt(0).lt(1),
  criticalMinSessions: z.int().min(1),
  maxDataGapMinutes: z.int().min(5),
  /**
   * The most sessions (and error-affected sessions) ingest counts for one install per version
   * and window (`RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow`): one install's largest
   * share of a window, which every action must survive without (install-robustness.ts).
   */
  installCap: z.int().min(1),
  /** Distinct installs an action needs behind it (at least this many in one window). */
  minInstalls: z.int().min(1),
});
export type JudgeParams = z.infer<typeof JudgeParamsSchema>;

/**
 * One 5-minute window of release health for the two versions being compared, as release_health
 * holds it: all sessions and error-AFFECTED sessions, and the part of each from installs in
 * their first day. The judge counts affected sessions, never error events: one broken session
 * can emit hundreds of errors, and raw counts made 65% of healthy rollouts halt in the research
 * simulation (§3.1). It judges established installs only, subtracting the new-install counts
 * itself (§4.3, metric row): new installs get the newest version whatever the rollout
 * percentage (§5, §7), so they crowd the canary cohort and would bias it with first-run errors.
 * Stored raw, so a decision record shows what ingest reported, not only what was judged.
 */
export const HealthWindowSchema = z.strictObject({
  /** Epoch ms, a multiple of 300 000. */
  start: z.int().min(0),
  canarySessions: count,
  canaryAffectedSessions: count,
  baselineSessions: count,
  baselineAffectedSessions: count,
  /** Of `canarySessions`: those of installs younger than 24 h (`new_install_sessions`). */
  canaryNewInstallSessions: count,
  /** Of `canaryAffectedSessions`: those of new installs (`new_install_error_sessions`). */
  canaryNewInstallAffectedSessions: count,
  baselineNewInstallSessions: count,
  baselineNewInstallAffectedSessions: count,
  /**
   * Distinct installs behind `canarySessions` and behind `canaryAffectedSessions`
   * (release_health `installs`, `error_installs`; issue 11 item 2). 0 on a row written before
   * ingest counted them: then one install may be behind all of it.
   */
  canaryInstalls: count,
  canaryAffectedInstalls: count,
  baselineInstalls: count,
  baselineAffectedInstalls: count,
});
export type HealthWindow = z.infer<typeof HealthWindowSchema>;

/**
 * A fingerprint triage classed, with the distinct sessions it was seen in per version
 * (fingerprint_versions.sessions summed over surfaces; exact up to 100 per surface) as of the
 * look. fingerprint_versions is cumulative, not windowed, so these counts are part of each look's
 * stored input: the critical guardrail replays from them bit for bit (§4.2 step 3, §6.7).
 */
export const FingerprintCountsSchema = z.strictObject({
  fingerprint: z.string().min(1),
  /** triage's policy class (triage_issues.class); only `critical` can halt. */
  class: z.string().min(1),
  canarySessions: count,
  baselineSessions: count,
  /** Distinct installs that reported it (`fingerprints.installs`, all versions). */
  installs: count,
});
export type FingerprintCounts = z.infer<typeof FingerprintCountsSchema>;

export const CountsSchema = z.strictObject({
  canarySessions: count,
  canaryAffectedSessions: count,
  baselineSessions: count,
  baselineAffectedSessions: count,
});
export type Counts = z.infer<typeof CountsSchema>;

/**
 * The evidence with one install's largest share of every window left out (install-robustness.ts):
 * what an action must also pass, so that no single install can trigger or flip one.
 */
export const RobustStateSchema = z.strictObject({
  /** Σ over windows of the least ℓ_w(θ_j : θ₀) without one install, since the rollout started. */
  logLrHalt: z.array(z.number()),
  /** Σ of the least ℓ_w(1 : θ_bad) without one install, since the stage started. */
  logLrSafe: z.number(),
  /** Σ of the most ℓ_w(1 : θ_bad) without one install: could one install be blocking promotion? */
  logLrSafeBest: z.number(),
  /** Canary counts since the rollout started without one install's affected sessions. */
  canarySessions: count,
  canaryAffectedSessions: count,
  /** Canary sessions since the stage started without one install's sessions. */
  stageCanarySessions: count,
  /**
   * Lower bounds of the distinct installs behind the evidence: the most seen in one window (the
   * same install may be counted in every window, so the windows cannot be added up).
   */
  stageCanaryInstalls: count,
  canaryAffectedInstalls: count,
  /** Consecutive windows with sessions beyond what one install can hold. */
  trailingDataWindows: count,
});
export type RobustState = z.infer<typeof RobustStateSchema>;

export const JudgeStateSchema = z.strictObject({
  /** The stage the stage-scoped fields belong to; a new stage resets them (§4.2 step 2). */
  stageIndex: z.int().min(0),
  windows: count,
  lastWindowStart: z.int().nullable(),
  /** Σ ℓ_w(θ_j : θ₀) since the rollout started, one per thetaGrid entry: α covers all stages. */
  logLrHalt: z.array(z.number()),
  maxLogEHalt: z.number(),
  /** Σ ℓ_w(1 : θ_bad) since the stage started: each stage needs fresh evidence. */
  logLrSafe: z.number(),
  /** Established installs only (new installs subtracted), like every count the judge tests. */
  rollout: CountsSchema,
  stage: CountsSchema,
  /** Diagnostic: canary sessions of new installs since the rollout started, left out above. */
  canaryNewInstallSessions: count,
  trailingGapWindows: count,
  trailingDataWindows: count,
  gapAlerted: z.boolean(),
  inconclusiveAlerted: z.boolean(),
  robust: RobustStateSchema,
});
export type JudgeState = z.infer<typeof JudgeStateSchema>;

export const JudgeInputSchema = z.strictObject({
  params: JudgeParamsSchema,
  prior: JudgeStateSchema,
  stage: z.strictObject({
    index: z.int().min(0),
    startedAt: z.int(),
    /** The 100% stage: there is no later stage, and the baseline empties as users update. */
    isLast: z.boolean(),
  }),
  windows: z.array(HealthWindowSchema),
  /**
   * Classed fingerprints seen on the canary, as of the look. The loader keeps only the class that
   * matters (`critical`) so decision rows stay small; the judge still checks the class.
   */
  fingerprints: z.array(FingerprintCountsSchema),
  now: z.int(),
});
export type JudgeInput = z.infer<typeof JudgeInputSchema>;

export const DECISIONS = ['promote', 'hold', 'halt', 'inconclusive'] as const;
export type Decision = (typeof DECISIONS)[number];

export const REASONS = [
  // halt
  'critical_rate',
  'critical_fingerprint',
  'e_halt',
  // promote
  'e_safe',
  'final_stage_soaked',
  // inconclusive (and the holds after its one alert)
  'max_stage_duration',
  // hold
  'no_new_windows',
  'data_gap',
  'no_canary_sessions',
  'soaking',
  'min_sessions',
  'insufficient_evidence',
  'halt_needs_affected_sessions',
  // A halt or promotion the evidence gives, but not without one install's share (issue 11 item 2).
  'single_install_sensitive',
  // On an INCONCLUSIVE: without one install's share the evidence would have promoted.
  'single_install_may_block',
  // Fewer distinct installs than `minInstalls` behind the halt or promotion.
  'too_few_installs',
] as const;
export type Reason = (typeof REASONS)[number];

export const JUDGE_ALERTS = ['data_gap', 'inconclusive'] as const;
export type JudgeAlert = (typeof JUDGE_ALERTS)[number];

const EstimateSchema = z.strictObject({
  thetaHat: z.number().nullable(),
  lo: z.number().nullable(),
  hi: z.number().nullable(),
});

export const JudgeOutputSchema = z.strictObject({
  decision: z.enum(DECISIONS),
  reasons: z.array(z.enum(REASONS)),
  alerts: z.array(z.enum(JUDGE_ALERTS)),
  state: JudgeStateSchema,
  stats: z.strictObject({
    logEHalt: z.number(),
    logHaltThreshold: z.number(),
    /** min(1, 1/max_s E_halt,s): valid under any number of looks (§3.5). */
    alwaysValidP: z.number(),
    logESafe: z.number(),
    logSafeThreshold: z.number(),
    stageAgeMinutes: z.number(),
    rollout: EstimateSchema,
    stage: EstimateSchema,
    canaryRate: z.number().nullable(),
    criticalLowerBound: z.number().nullable(),
    /** Critical fingerprints in ≥ 3 canary sessions and no baseline session (§4.2 step 3). */
    criticalFingerprints: z.array(z.string()),
    /** Diagnostic: the share of all canary sessions that came from installs younger than 24 h. */
    newInstallShare: z.number().nullable(),
    /** The same tests with one install's share of every window left out. */
    robust: z.strictObject({
      logEHalt: z.number(),
      logESafe: z.number(),
      logESafeBest: z.number(),
      criticalLowerBound: z.number().nullable(),
    }),
  }),
});
export type JudgeOutput = z.infer<typeof JudgeOutputSchema>;
