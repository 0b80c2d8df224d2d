import { env } from 'cloudflare:workers';
import { bundledConfig } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { JudgeInputSchema } from '../../src/judge/judge.schema.ts';
import {
  initialJudgeState,
  judge,
  judgeParamsFromConfig,
  WINDOW_MS,
} from '../../src/judge/judge.ts';
import { loadCriticalFingerprints, loadWindows } from '../../src/rollout/release-health.ts';
import { freshExtensionId, seedFingerprint, seedHealth } from '../support/canary-harness.ts';

/**
 * The loaders read what the ingest Worker writes, from real local D1 rows (D1-schema.sql):
 * release_health with its new-install columns, fingerprint_versions with distinct sessions per
 * surface, and triage's policy class in triage_issues (research/canary.md §4.2, §4.3).
 */
const params = judgeParamsFromConfig(bundledConfig().canary);
const versions = { canary: '1.1.0', baseline: '1.0.0' };
const T0 = Date.UTC(2026, 10, 23, 0, 0);

describe('loadWindows (release_health)', () => {
  test('reads new-install sessions and their error-affected sessions per window', async ({
    expect,
  }) => {
    const ext = freshExtensionId();
    await seedHealth(ext, versions, T0, 2, (i) => ({
      canarySessions: 150,
      canaryAffected: 40 + i,
      canaryNewInstallSessions: 50,
      canaryNewInstallAffected: 38,
      baselineSessions: 2_000,
      baselineAffected: 20,
      baselineNewInstallSessions: 3,
      baselineNewInstallAffected: 1,
    }));
    // A third window with no row at all: a gap, read as zeros.
    const windows = await loadWindows(env.DB, {
      extensionId: ext,
      ...versions,
      from: T0,
      to: T0 + 2 * WINDOW_MS,
    });
    expect(windows).toEqual([
      {
        start: T0,
        canarySessions: 150,
        canaryAffectedSessions: 40,
        baselineSessions: 2_000,
        baselineAffectedSessions: 20,
        canaryNewInstallSessions: 50,
        canaryNewInstallAffectedSessions: 38,
        baselineNewInstallSessions: 3,
        baselineNewInstallAffectedSessions: 1,
        canaryInstalls: 150,
        canaryAffectedInstalls: 40,
        baselineInstalls: 2_000,
        baselineAffectedInstalls: 20,
      },
      expect.objectContaining({ start: T0 + WINDOW_MS, canaryAffectedSessions: 41 }),
      {
        start: T0 + 2 * WINDOW_MS,
        canarySessions: 0,
        canaryAffectedSessions: 0,
        baselineSessions: 0,
        baselineAffectedSessions: 0,
        canaryNewInstallSessions: 0,
        canaryNewInstallAffectedSessions: 0,
        baselineNewInstallSessions: 0,
        baselineNewInstallAffectedSessions: 0,
        canaryInstalls: 0,
        canaryAffectedInstalls: 0,
        baselineInstalls: 0,
        baselineAffectedInstalls: 0,
      },
    ]);
  });

  test('the judge, fed from D1, leaves new installs out: first-run failures do not halt', async ({
    expect,
  }) => {
    const ext = freshExtensionId();
    // Established installs at 1% on both sides; the canary's 50 new installs per window nearly
    // all fail. Counted as established, the canary would be at 26% affected.
    await seedHealth(ext, versions, T0, 24, () => ({
      canarySessions: 150,
      canaryAffected: 40,
      canaryNewInstallSessions: 50,
      canaryNewInstallAffected: 39,
      baselineSessions: 2_000,
      baselineAffected: 20,
    }));
    const windows = await loadWindows(env.DB, {
      extensionId: ext,
      ...versions,
      from: T0,
      to: T0 + 23 * WINDOW_MS,
    });
    const input = {
      params,
      prior: initialJudgeState(params),
      stage: { index: 0, startedAt: T0, isLast: false },
      windows,
      fingerprints: [],
      now: T0 + 24 * WINDOW_MS,
    };
    const out = judge(JudgeInputSchema.parse(input));
    expect(out.decision).toBe('hold');
    expect(out.state.rollout).toEqual({
      canarySessions: 2_400,
      canaryAffectedSessions: 24,
      baselineSessions: 48_000,
      baselineAffectedSessions: 480,
    });
    expect(out.stats.newInstallShare).toBe(1 / 3);
    // The old reading (new-install columns ignored) halts on the very same rows.
    const ignored = judge({
      ...input,
      windows: windows.map((w) => ({
        ...w,
        canaryNewInstallSessions: 0,
        canaryNewInstallAffectedSessions: 0,
      })),
    });
    expect(ignored.decision).toBe('halt');
  });
});

describe('loadCriticalFingerprints (fingerprint_versions, triage_issues)', () => {
  test('critical fingerprints seen on the canary, sessions summed over surfaces', async ({
    expect,
  }) => {
    const ext = freshExtensionId();
    const other = freshExtensionId();
    const c = versions.canary;
    const b = versions.baseline;
    // Critical, new in the canary, seen in two surfaces (2 + 1 sessions).
    await seedFingerprint(
      ext,
      'fp1:new-critical',
      [
        { version: c, surface: 'service_worker', sessions: 2 },
        { version: c, surface: 'popup', sessions: 1 },
      ],
      { class: 'critical' },
    );
    // Critical, also on the baseline; filed in two repositories (one row out, not two).
    await seedFingerprint(
      ext,
      'fp1:old-critical',
      [
        { version: c, surface: 'popup', sessions: 9 },
        { version: b, surface: 'popup', sessions: 1 },
        { version: '0.9.0', surface: 'popup', sessions: 40 },
      ],
      { class: 'critical' },
    );
    await seedFingerprint(ext, 'fp1:old-critical', [], {
      class: 'critical',
      repo: 'homeostat-demo/other-repo',
    });
    // Not critical, or not classed at all, or not filed: never read.
    await seedFingerprint(ext, 'fp1:safe', [{ version: c, surface: 'popup', sessions: 50 }], {
      class: 'safe',
    });
    await seedFingerprint(ext, 'fp1:unclassed', [{ version: c, surface: 'popup', sessions: 50 }], {
      class: null,
    });
    await seedFingerprint(
      ext,
      'fp1:unfiled',
      [{ version: c, surface: 'popup', sessions: 50 }],
      null,
    );
    // Critical but only on the baseline: nothing to judge on the canary.
    await seedFingerprint(
      ext,
      'fp1:baseline-only',
      [{ version: b, surface: 'popup', sessions: 5 }],
      { class: 'critical' },
    );
    // The same fingerprint on another extension does not leak in.
    await seedFingerprint(
      other,
      'fp1:new-critical',
      [{ version: b, surface: 'popup', sessions: 7 }],
      { class: 'critical' },
    );

    const fingerprints = await loadCriticalFingerprints(env.DB, { extensionId: ext, ...versions });
    expect(fingerprints).toEqual([
      {
        fingerprint: 'fp1:new-critical',
        class: 'critical',
        canarySessions: 3,
        baselineSessions: 0,
        installs: 3,
      },
      {
        fingerprint: 'fp1:old-critical',
        class: 'critical',
        canarySessions: 9,
        baselineSessions: 1,
        installs: 50,
      },
    ]);
    const out = judge(
      JudgeInputSchema.parse({
        params,
        prior: initialJudgeState(params),
        stage: { index: 0, startedAt: T0, isLast: false },
        windows: [],
        fingerprints,
        now: T0,
      }),
    );
    expect(out.decision).toBe('halt');
    expect(out.stats.criticalFingerprints).toEqual(['fp1:new-critical']);
  });

  test('nothing critical on the canary: an empty list', async ({ expect }) => {
    const ext = freshExtensionId();
    await seedFingerprint(
      ext,
      'fp1:x',
      [{ version: versions.canary, surface: 'popup', sessions: 12 }],
      { class: 'needs-validation' },
    );
    expect(await loadCriticalFingerprints(env.DB, { extensionId: ext, ...versions })).toEqual([]);
  });
});
