/** @jsxImportSource hono/jsx */
import type { HomeostatConfig } from '@homeostat/shared';
import { Sparkline } from './charts.tsx';
import { clip, dailySeries, githubWebUrl, safeHref, visible } from './console-format.ts';
import {
  PROBLEM_SORTS,
  PROBLEM_STATES,
  type ProblemFilter,
  type ProblemRow,
} from './console-queries.ts';
import { StateBadge, Time } from './layout.tsx';

export function problemHref(row: { extension_id: string; fingerprint: string }): string {
  // `:` is legal in a path segment; everything else a stored id could hold is encoded.
  return `/console/problems/${encodeURIComponent(row.extension_id)}/${encodeURIComponent(row.fingerprint).replace('%3A', ':')}`;
}

export function IssueLink(props: { config: HomeostatConfig; row: ProblemRow }) {
  const { row } = props;
  if (row.repo !== null && row.issue_number !== null) {
    const href = githubWebUrl(
      props.config.github.apiBaseUrl,
      row.repo,
      `issues/${row.issue_number}`,
    );
    return href === null ? (
      <span>#{row.issue_number}</span>
    ) : (
      <a href={href}>#{row.issue_number}</a>
    );
  }
  if (row.outbox_key !== null) return <a href="/console/outbox">outbox</a>;
  return <span class="muted">—</span>;
}

export function PrLink(props: { url: string | null; state: string | null }) {
  const href = safeHref(props.url);
  if (href === null) return <span class="muted">{props.state ?? '—'}</span>;
  return (
    <a href={href}>
      PR <StateBadge state={props.state} />
    </a>
  );
}

export function ProblemsPage(props: {
  config: HomeostatConfig;
  filter: ProblemFilter;
  rows: ProblemRow[];
  now: number;
}) {
  const { config, filter, rows } = props;
  const today = Math.floor(props.now / 86_400_000);
  const names = new Map(config.extensions.map((e) => [e.id, e.name]));
  return (
    <>
      <form class="filters" method="get" action="/console">
        <label>
          Extension
          <select name="extension">
            <option value="">all</option>
            {config.extensions.map((e) => (
              <option value={e.id} selected={filter.extension === e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select name="state">
            <option value="">any</option>
            {PROBLEM_STATES.map((s) => (
              <option value={s} selected={filter.state === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Class
          <select name="class">
            <option value="">any</option>
            {(['safe', 'needs-validation', 'critical'] as const).map((s) => (
              <option value={s} selected={filter.class === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select name="sort">
            {PROBLEM_SORTS.map((s) => (
              <option value={s} selected={filter.sort === s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" name="q" value={filter.q ?? ''} maxlength={200} />
        </label>
        <button type="submit">Apply</button>
      </form>
      {rows.length === 0 ? (
        <p class="muted">No problems match. Errors appear here once ingest has flushed them.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Problem</th>
              <th>Class</th>
              <th>State</th>
              <th class="num">Events</th>
              <th class="num">Installs</th>
              <th>Versions</th>
              <th>First / last seen</th>
              <th>14 days</th>
              <th>Issue</th>
              <th>Fix</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr>
                <td>
                  <a href={problemHref(row)}>{visible(clip(row.title, 140))}</a>
                  <div class="muted">
                    <code>{row.fingerprint}</code> ·{' '}
                    {names.get(row.extension_id) ?? row.extension_id}
                  </div>
                </td>
                <td>{row.class ?? <span class="muted">—</span>}</td>
                <td>
                  <StateBadge state={row.state} />
                </td>
                <td class="num">{row.events}</td>
                <td class="num">
                  {row.installs_approximate === 1 ? '≈' : ''}
                  {row.installs}
                </td>
                <td>
                  {visible(row.first_version)} → {visible(row.last_version)}
                </td>
                <td>
                  <Time ms={row.first_seen} />
                  <br />
                  <Time ms={row.last_seen} />
                </td>
                <td>
                  <Sparkline
                    counts={dailySeries(row.daily_events, today)}
                    label="events per day, last 14 days"
                  />
                </td>
                <td>
                  <IssueLink config={config} row={row} />
                </td>
                <td>
                  <PrLink url={row.pr_url} state={row.pr_state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
