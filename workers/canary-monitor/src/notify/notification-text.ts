import type { JudgeOutput } from '../judge/judge.schema.ts';
import type { Rollout } from '../rollout/rollout.schema.ts';

/**
 * The text of a release notification: one comment on the release's tracking issue (through the
 * triage Worker) and optionally one Slack message. Plain Markdown built from stored values only.
 */
export interface Notice {
  title: string;
  body: string;
}

/** The Developer Dashboard page where a human can act when Homeostat cannot (§1.6 item 4). */
export function dashboardUrl(publisherId: string, itemId: string): string {
  return `https://chrome.google.com/webstore/devconsole/${encodeURIComponent(publisherId)}/${encodeURIComponent(itemId)}/edit/package`;
}

const fmt = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));

function statsLines(out: JudgeOutput): string[] {
  const s = out.stats;
  const r = out.state.rollout;
  return [
    `- canary: ${r.canaryAffectedSessions} error-affected of ${r.canarySessions} sessions; baseline: ${r.baselineAffectedSessions} of ${r.baselineSessions}`,
    `- rate ratio θ̂ ${fmt(s.rollout.thetaHat)} (95% CI ${fmt(s.rollout.lo)}–${fmt(s.rollout.hi)})`,
    `- halt e-value log ${fmt(s.logEHalt)} / threshold ${fmt(s.logHaltThreshold)}; always-valid p ${s.alwaysValidP.toPrecision(3)}`,
    `- promote e-value log ${fmt(s.logESafe)} / threshold ${fmt(s.logSafeThreshold)}; stage age ${fmt(s.stageAgeMinutes / 60, 1)} h`,
    ...(s.criticalFingerprints.length > 0
      ? [
          `- critical problems in ≥ 3 canary sessions and no baseline session: ${s.criticalFingerprints.join(', ')}`,
        ]
      : []),
    ...(s.newInstallShare === null
      ? []
      : [
          `- new installs (first day, left out of the counts above): ${fmt(100 * s.newInstallShare, 1)}% of canary sessions`,
        ]),
  ];
}

export interface NoticeInput {
  rollout: Rollout;
  extensionName: string;
  mode: 'live' | 'observe';
  headline: string;
  reasons: readonly string[];
  judgeOutput?: JudgeOutput;
  lines?: readonly string[];
}

export function buildNotice(input: NoticeInput): Notice {
  const { rollout } = input;
  const prefix = input.mode === 'observe' ? '[observe] ' : '';
  const title = `${prefix}${input.extensionName} ${rollout.version}: ${input.headline}`;
  const body = [
    `**${title}**`,
    '',
    `- rollout #${rollout.id}, baseline ${rollout.baseline_version ?? 'unknown'}, mode ${input.mode}${
      input.mode === 'observe' ? ' (decided and recorded; nothing was sent to the store)' : ''
    }`,
    `- reasons: ${input.reasons.length > 0 ? input.reasons.join(', ') : '–'}`,
    ...(input.judgeOutput === undefined ? [] : statsLines(input.judgeOutput)),
    ...(input.lines ?? []),
  ].join('\n');
  return { title, body };
}
