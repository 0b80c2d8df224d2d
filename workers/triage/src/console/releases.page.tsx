/** @jsxImportSource hono/jsx */
import { z } from 'zod';
import { EvidenceChart, type EvidencePoint } from './charts.tsx';
import { visible } from './console-format.ts';
import type { RolloutDetail, RolloutRow } from './console-queries.ts';
import { StateBadge, Time } from './layout.tsx';

/** The part of canary-monitor's judge output (judge.schema.ts) the chart draws. */
const JudgeStatsSchema = z.object({
  stats: z.object({
    logEHalt: z.number(),
    logHaltThreshold: z.number(),
    logESafe: z.number(),
    logSafeThreshold: z.number(),
  }),
});

function stagePercent(row: RolloutRow): string {
  try {
    const stages = z.array(z.number()).parse(JSON.parse(row.stages));
    const p = stages[row.stage_index];
    return p === undefined ? '—' : `${p}% (stage ${row.stage_index + 1} of ${stages.length})`;
  } catch {
    return '—';
  }
}

export function ReleasesPage(props: { rollouts: RolloutRow[] }) {
  if (props.rollouts.length === 0) {
    return <p class="muted">No rollouts registered or discovered yet.</p>;
  }
  return (
    <table>
      <thead>
        <tr>
          <th>Extension</th>
          <th>Version</th>
          <th>Baseline</th>
          <th>State</th>
          <th>Stage</th>
          <th>Mode</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {props.rollouts.map((r) => (
          <tr>
            <td>
              <code>{r.extension_id}</code>
            </td>
            <td>
              <a href={`/console/releases/${r.id}`}>{visible(r.version)}</a>
            </td>
            <td>{visible(r.baseline_version ?? '—')}</td>
            <td>
              <StateBadge state={r.state} />
            </td>
            <td>{stagePercent(r)}</td>
            <td>{r.mode}</td>
            <td>
              <Time ms={r.updated_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReleasePage(props: { detail: RolloutDetail }) {
  const { rollout, decisions, health } = props.detail;
  const points: EvidencePoint[] = [];
  let thresholds = { halt: Math.log(100), safe: Math.log(20) };
  for (const d of decisions) {
    if (d.judge_output === null) continue;
    try {
      const parsed = JudgeStatsSchema.safeParse(JSON.parse(d.judge_output));
      if (!parsed.success) continue;
      const s = parsed.data.stats;
      points.push({ at: d.tick_at, logEHalt: s.logEHalt, logESafe: s.logESafe });
      thresholds = { halt: s.logHaltThreshold, safe: s.logSafeThreshold };
    } catch {
      // a decision without a readable judge output is listed below, not charted
    }
  }
  return (
    <>
      <dl class="kv">
        <dt>Extension</dt>
        <dd>
          <code>{rollout.extension_id}</code>
        </dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={rollout.state} /> {stagePercent(rollout)} · {rollout.mode}
        </dd>
        <dt>Baseline</dt>
        <dd>{visible(rollout.baseline_version ?? '—')}</dd>
      </dl>
      <h2>Evidence</h2>
      <EvidenceChart
        points={points}
        logHaltThreshold={thresholds.halt}
        logSafeThreshold={thresholds.safe}
      />
      <h2>Release health per version</h2>
      <table>
        <thead>
          <tr>
            <th>Version</th>
            <th class="num">Sessions</th>
            <th class="num">Error sessions</th>
            <th class="num">Crash-free</th>
            <th class="num">Windows</th>
            <th>Last window</th>
          </tr>
        </thead>
        <tbody>
          {health.map((h) => (
            <tr>
              <td>{visible(h.version)}</td>
              <td class="num">{h.sessions}</td>
              <td class="num">{h.error_sessions}</td>
              <td class="num">
                {h.sessions > 0
                  ? `${(100 * (1 - h.error_sessions / h.sessions)).toFixed(2)}%`
                  : '—'}
              </td>
              <td class="num">{h.windows}</td>
              <td>
                <Time ms={h.last_window} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Decision log</h2>
      <table>
        <thead>
          <tr>
            <th>Tick</th>
            <th>Decision</th>
            <th>Reasons</th>
            <th>State</th>
            <th>Action</th>
          </tr>
        </thead>
        <tbody>
          {[...decisions].reverse().map((d) => (
            <tr>
              <td>
                <Time ms={d.tick_at} />
              </td>
              <td>{d.decision}</td>
              <td>
                <code>{visible(d.reasons)}</code>
              </td>
              <td>
                {d.state_before} → {d.state_after} (stage {d.stage_index + 1})
              </td>
              <td>
                {d.action} <span class="muted">{d.action_status}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
