/** @jsxImportSource hono/jsx */
import type { HomeostatConfig, RepositoryConfig } from '@homeostat/shared';
import { z } from 'zod';
import { analyseStack } from '../issue/stack-frames.ts';
import { AttemptsTable } from './attempts-table.tsx';
import { Sparkline } from './charts.tsx';
import { clip, dailySeries, visible } from './console-format.ts';
import type { ProblemDetail, ProblemRow, SampleRow } from './console-queries.ts';
import { StateBadge, Time } from './layout.tsx';
import { IssueLink, PrLink } from './problems.page.tsx';

/** The fields of a stored (scrubbed) sample the page shows; anything else is left unread. */
const SampleEventSchema = z.object({
  error: z.object({
    type: z.string(),
    message: z.string(),
    stack: z.string().optional(),
  }),
  breadcrumbs: z
    .array(z.object({ category: z.string(), message: z.string().optional() }))
    .optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

function Sample(props: { sample: SampleRow; repo: RepositoryConfig | null }) {
  const { sample } = props;
  const parsed = (() => {
    try {
      return SampleEventSchema.safeParse(JSON.parse(sample.event));
    } catch {
      return null;
    }
  })();
  if (parsed === null || !parsed.success) {
    return <p class="muted">Sample {sample.event_id} could not be read.</p>;
  }
  const event = parsed.data;
  const lines =
    event.error.stack === undefined
      ? []
      : props.repo === null
        ? event.error.stack.split('\n').map((text) => ({ text, inAppPath: null }))
        : analyseStack(event.error.stack, props.repo);
  return (
    <details>
      <summary>
        <Time ms={sample.occurred_at} /> · {visible(sample.version)} · {sample.surface} ·{' '}
        {visible(clip(`${event.error.type}: ${event.error.message}`, 160))}
      </summary>
      <pre>
        {lines.map((l) => (
          <div class={l.inAppPath === null ? 'frame-lib' : 'frame-app'}>
            {visible(l.text)}
            {l.inAppPath === null ? '' : `   ← in app: ${visible(l.inAppPath)}`}
          </div>
        ))}
      </pre>
      {event.breadcrumbs !== undefined && event.breadcrumbs.length > 0 ? (
        <ol>
          {event.breadcrumbs.slice(-20).map((b) => (
            <li>
              <code>{visible(b.category)}</code> {visible(clip(b.message ?? '', 300))}
            </li>
          ))}
        </ol>
      ) : null}
    </details>
  );
}

function VersionsBySurface(props: { detail: ProblemDetail }) {
  const surfaces = [...new Set(props.detail.versions.map((v) => v.surface))].sort();
  const versions = [...new Set(props.detail.versions.map((v) => v.version))];
  const cell = new Map(props.detail.versions.map((v) => [`${v.version}\u0000${v.surface}`, v]));
  return (
    <table>
      <thead>
        <tr>
          <th>Version</th>
          {surfaces.map((s) => (
            <th class="num">{s}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => (
          <tr>
            <td>{visible(v)}</td>
            {surfaces.map((s) => {
              const c = cell.get(`${v}\u0000${s}`);
              return (
                <td class="num">{c === undefined ? '' : `${c.events} ev / ${c.sessions} sess`}</td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ProblemPage(props: {
  config: HomeostatConfig;
  row: ProblemRow;
  detail: ProblemDetail;
  repo: RepositoryConfig | null;
  now: number;
}) {
  const { row, detail } = props;
  const today = Math.floor(props.now / 86_400_000);
  return (
    <>
      <p>
        <strong>{visible(row.title)}</strong>
      </p>
      <dl class="kv">
        <dt>Fingerprint</dt>
        <dd>
          <code>{row.fingerprint}</code>
        </dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={row.state} />
          {row.fixed_in_version === null ? '' : ` fixed in ${visible(row.fixed_in_version)}`}
        </dd>
        <dt>Class</dt>
        <dd>{row.class ?? '—'}</dd>
        <dt>Culprit</dt>
        <dd>
          <code>{visible(row.culprit ?? '—')}</code>
        </dd>
        <dt>Events / installs</dt>
        <dd>
          {row.events} / {row.installs_approximate === 1 ? '≈' : ''}
          {row.installs}
        </dd>
        <dt>Seen</dt>
        <dd>
          <Time ms={row.first_seen} /> ({visible(row.first_version)}) → <Time ms={row.last_seen} />{' '}
          ({visible(row.last_version)})
        </dd>
        <dt>Last 14 days</dt>
        <dd>
          <Sparkline counts={dailySeries(row.daily_events, today)} label="events per day" />
        </dd>
        <dt>Issue</dt>
        <dd>
          <IssueLink config={props.config} row={row} />
        </dd>
        <dt>Fix PR</dt>
        <dd>
          <PrLink url={row.pr_url} state={row.pr_state} />
        </dd>
      </dl>

      <h2>Samples (scrubbed)</h2>
      {detail.samples.length === 0 ? (
        <p class="muted">No samples kept.</p>
      ) : (
        detail.samples.map((s) => <Sample sample={s} repo={props.repo} />)
      )}

      <h2>Versions × surfaces</h2>
      <VersionsBySurface detail={detail} />

      <h2>Timeline</h2>
      <table>
        <tbody>
          {detail.timeline.map((t) => (
            <tr>
              <td>
                <Time ms={t.at} />
              </td>
              <td>{t.what}</td>
              <td>{visible(t.detail ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Fix attempts</h2>
      <AttemptsTable attempts={detail.attempts} view="problem" empty="No attempts." />

      <h2>Guardrail verdicts</h2>
      {detail.verdicts.length === 0 ? (
        <p class="muted">No candidates judged.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Attempt</th>
              <th>Candidate</th>
              <th>Verdict</th>
              <th>Reasons</th>
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {detail.verdicts.map((v) => (
              <tr>
                <td>{v.attempt}</td>
                <td>
                  {v.candidate_kind}: {visible(v.candidate_ref)}
                </td>
                <td>
                  <StateBadge state={v.verdict} />
                </td>
                <td>
                  <code>{visible(clip(v.reasons, 300))}</code>
                </td>
                <td>
                  <code>{visible(clip(v.stats, 120))}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>CI on the head SHA</h2>
      {detail.ci.length === 0 ? (
        <p class="muted">No CI events.</p>
      ) : (
        <table>
          <tbody>
            {detail.ci.map((c) => (
              <tr>
                <td>
                  <Time ms={c.received_at} />
                </td>
                <td>{c.event}</td>
                <td>{visible(c.name ?? '')}</td>
                <td>
                  <StateBadge state={c.conclusion ?? c.status} />
                </td>
                <td>
                  <code>{c.head_sha.slice(0, 12)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Decisions</h2>
      {detail.decisions.length === 0 ? (
        <p class="muted">No gating decisions.</p>
      ) : (
        <table>
          <tbody>
            {detail.decisions.map((d) => (
              <tr>
                <td>
                  <Time ms={d.at} />
                </td>
                <td>{d.action}</td>
                <td class={d.allowed === 1 ? 'ok' : 'bad'}>
                  {d.allowed === 1 ? 'allowed' : 'refused'}
                </td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
