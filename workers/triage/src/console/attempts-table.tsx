/** @jsxImportSource hono/jsx */
import { clip, usd, visible } from './console-format.ts';
import type { AttemptRow, FixRow } from './console-queries.ts';
import { StateBadge, Time } from './layout.tsx';
import { PrLink, problemHref } from './problems.page.tsx';

/**
 * Fix attempts as the Fixes page (every problem, with the problem linked) and the Problem page
 * (one problem, with the CI outcome) show them: one table, two column sets.
 */
export function AttemptsTable(
  props:
    | { attempts: FixRow[]; view: 'fixes'; empty: string }
    | { attempts: AttemptRow[]; view: 'problem'; empty: string },
) {
  if (props.attempts.length === 0) return <p class="muted">{props.empty}</p>;
  const fixes = props.view === 'fixes';
  return (
    <table>
      <thead>
        <tr>
          {fixes ? <th>Problem</th> : null}
          <th>#</th>
          <th>Started</th>
          <th>Result</th>
          <th>Stage</th>
          <th>Candidate</th>
          {fixes ? null : <th>CI</th>}
          <th>PR</th>
          <th class="num">{fixes ? 'Cost' : 'Model cost'}</th>
        </tr>
      </thead>
      <tbody>
        {props.attempts.map((a: AttemptRow | FixRow) => (
          <tr>
            {'fingerprint' in a ? (
              <td>
                <a href={problemHref(a)}>{visible(clip(a.title ?? a.fingerprint, 100))}</a>
                <div class="muted">{a.repo}</div>
              </td>
            ) : null}
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
            {fixes ? null : <td>{visible(clip(a.ci_outcome ?? '—', 120))}</td>}
            <td>
              <PrLink url={a.pr_url} state={a.pr_state} />
            </td>
            <td class="num">{usd(a.cost_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
