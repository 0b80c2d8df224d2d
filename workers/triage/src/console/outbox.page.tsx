/** @jsxImportSource hono/jsx */
import { visible } from './console-format.ts';
import type { OutboxRow } from './console-queries.ts';
import { Time } from './layout.tsx';

function pretty(body: string | null): string {
  if (body === null) return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** Every GitHub request dry-run mode held back, newest first, exactly as it would be sent. */
export function OutboxPage(props: { rows: OutboxRow[]; mode: string; next: number | null }) {
  return (
    <>
      {props.mode === 'dry-run' ? (
        <p class="banner">
          Dry-run: no GitHub token is set, so nothing below was sent. Each entry is the exact
          request triage would have made.
        </p>
      ) : (
        <p class="muted">Live mode: these entries were recorded while triage ran in dry-run.</p>
      )}
      {props.rows.length === 0 ? (
        <p class="muted">The outbox is empty.</p>
      ) : (
        props.rows.map((r) => (
          <details>
            <summary>
              <Time ms={r.created_at} /> · <code>{r.method}</code> <code>{visible(r.path)}</code> ·{' '}
              {r.purpose} · {r.repo}
            </summary>
            <pre>{visible(pretty(r.body))}</pre>
          </details>
        ))
      )}
      {props.next === null ? null : <a href={`/console/outbox?before=${props.next}`}>Older</a>}
    </>
  );
}
