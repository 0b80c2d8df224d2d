/** @jsxImportSource hono/jsx */
import type { HomeostatConfig } from '@homeostat/shared';
import { AttemptsTable } from './attempts-table.tsx';
import { usd } from './console-format.ts';
import type { FixesView } from './console-queries.ts';
import { StateBadge } from './layout.tsx';

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
      <AttemptsTable attempts={view.attempts} view="fixes" empty="No fix attempts yet." />
    </>
  );
}
