/** @jsxImportSource hono/jsx */
import type { HomeostatConfig } from '@homeostat/shared';
import { clip, usd, visible } from './console-format.ts';
import type { FixesView } from './console-queries.ts';
import { StateBadge, Time } from './layout.tsx';
import { PrLink, problemHref } from './problems.page.tsx';

export function FixesPage(props: { config: HomeostatConfig; view: FixesView }) {
  const { view } = props;
  const budget = props.config.models.budget.perDayUsd;
  return (
    <>
      <h2>Outcomes</h2>
      <p>
        {(['success', 'failure', 'pending', 'abandoned'] as const).map((r) => (
          <span>
            <StateBadge state={r} /> {view.outcomes[r] ?? 0}{' '}
          </span>
        ))}
      </p>
      <h2>Model spend per UTC day (budget {usd(budget)})</h2>
      {view.spend.length === 0 ? (
        <p class="muted">No model calls in the last 14 days.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Day</th>
              <th class="num">Calls</th>
              <th class="num">Cost</th>
              <th class="num">Of budget</th>
            </tr>
          </thead>
          <tbody>
            {view.spend.map((s) => (
              <tr>
                <td>{s.day}</td>
                <td class="num">{s.calls}</td>
                <td class="num">{usd(s.cost_usd)}</td>
                <td class={`num ${s.cost_usd > budget ? 'bad' : ''}`}>
                  {budget > 0 ? `${((s.cost_usd / budget) * 100).toFixed(1)}%` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Attempts</h2>
      {view.attempts.length === 0 ? (
        <p class="muted">No fix attempts yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Problem</th>
              <th>#</th>
              <th>Started</th>
              <th>Result</th>
              <th>Stage</th>
              <th>Candidate</th>
              <th>PR</th>
              <th class="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {view.attempts.map((a) => (
              <tr>
                <td>
                  <a href={problemHref(a)}>{visible(clip(a.title ?? a.fingerprint, 100))}</a>
                  <div class="muted">{a.repo}</div>
                </td>
                <td>{a.n}</td>
                <td>
                  <Time ms={a.started_at} />
                </td>
                <td>
                  <StateBadge state={a.result} />
                  {a.reason === null ? '' : ` ${a.reason}`}
                </td>
                <td>{a.stage ?? '—'}</td>
                <td>{visible(a.candidate_source ?? '—')}</td>
                <td>
                  <PrLink url={a.pr_url} state={a.pr_state} />
                </td>
                <td class="num">{usd(a.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
