import type { WindowCounts } from './conditional-binomial.ts';

/**
 * Release health is reported by clients, so it is untrusted (issue 11, item 2): one install —
 * one made-up install id — can send sessions and errors for any version. Ingest counts at most
 * `RELEASE_HEALTH_LIMITS.maxSessionsPerInstallPerWindow` sessions and as many error-affected
 * sessions per install, version and 5-minute window, and records how many distinct installs
 * (`installs`, `error_installs`) stand behind each row. The judge acts only on evidence that
 * survives leaving out any one install's largest possible share of every window; these are the
 * bounds of that share.
 *
 * Only per-window aggregates exist, so the same install may be behind every window: its share is
 * left out of each window separately, and the statistics add up the worst case window by window.
 * Within a window the install's share is not known either, only bounded: it is the cap, and the
 * counts minus one session for each other install counted (each other install holds at least
 * one). A row written without install counts (0) gives no such bound: one install may be all of
 * it, up to the cap.
 */

/** The most one install can hold of one version's established counts in one window. */
export interface InstallShare {
  /** Sessions, of which at most `affected` are error-affected… */
  sessions: number;
  affected: number;
  /** …and at most `clean` are not (the window must have that many clean sessions). */
  clean: number;
}

export interface ArmCounts {
  /** As reported, new installs included: what the install counts refer to. */
  sessions: number;
  affectedSessions: number;
  installs: number;
  affectedInstalls: number;
  /** What the judge tests (new installs left out, clamped): judge.ts `establishedCounts`. */
  established: { sessions: number; affectedSessions: number };
}

/** One install's most sessions in a row of `sessions` from `installs` distinct installs. */
export function oneInstallMost(cap: number, count: number, installs: number): number {
  return Math.min(cap, Math.max(0, count - Math.max(0, installs - 1)));
}

export function installShare(cap: number, arm: ArmCounts): InstallShare {
  const { established } = arm;
  const sessions = Math.min(established.sessions, oneInstallMost(cap, arm.sessions, arm.installs));
  const affected = Math.min(
    sessions,
    established.affectedSessions,
    oneInstallMost(cap, arm.affectedSessions, arm.affectedInstalls),
  );
  const clean = Math.min(sessions, established.sessions - established.affectedSessions);
  return { sessions, affected, clean };
}

/**
 * A window with one install's share left out, in the four ways that bound every test the judge
 * makes. Each of its log-likelihood ratios is monotone in each count (more canary exposure or
 * baseline errors lower the evidence of harm; more canary errors or baseline exposure raise it),
 * so the extremes lie among these corners:
 * - `baselineClean`, `canaryErroredBaselineClean`: an install that made the canary look worse
 *   (the least evidence of harm is at one of the two; the most evidence of safety too);
 * - `canaryClean`, `canaryCleanBaselineErrored`: an install that made the canary look better
 *   (the least evidence of safety is at one of the two).
 * "Errored" leaves out only affected sessions and "clean" only unaffected ones: one install's
 * share, as large as its bounds allow.
 */
export interface LeftOut {
  baselineClean: WindowCounts;
  canaryErroredBaselineClean: WindowCounts;
  canaryClean: WindowCounts;
  canaryCleanBaselineErrored: WindowCounts;
}

export function leaveOneInstallOut(
  e: WindowCounts,
  canary: InstallShare,
  baseline: InstallShare,
): LeftOut {
  const without = (cs: number, cx: number, bs: number, bx: number): WindowCounts => ({
    canarySessions: e.canarySessions - cs,
    canaryAffectedSessions: e.canaryAffectedSessions - cx,
    baselineSessions: e.baselineSessions - bs,
    baselineAffectedSessions: e.baselineAffectedSessions - bx,
  });
  return {
    baselineClean: without(0, 0, baseline.clean, 0),
    canaryErroredBaselineClean: without(canary.affected, canary.affected, baseline.clean, 0),
    canaryClean: without(canary.clean, 0, 0, 0),
    canaryCleanBaselineErrored: without(canary.clean, 0, baseline.affected, baseline.affected),
  };
}
