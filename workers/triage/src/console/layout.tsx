/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { ConsoleViewer } from './console-auth.ts';
import { isoTime } from './console-format.ts';

export const NAV = [
  ['/console', 'Problems'],
  ['/console/fixes', 'Fixes'],
  ['/console/releases', 'Releases'],
  ['/console/outbox', 'Outbox'],
  ['/console/settings', 'Settings'],
] as const;

export interface LayoutProps {
  title: string;
  viewer: ConsoleViewer | null;
  csrf: string | null;
  /** triage's mode, shown in the header: dry-run means nothing reaches GitHub. */
  mode: string;
  children?: Child;
}

/** Every console page: one stylesheet, one deferred script, no inline code of either kind. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · Homeostat`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">Homeostat</span>
          {props.viewer === null ? null : (
            <nav aria-label="Console">
              {NAV.map(([href, label]) => (
                <a href={href}>{label}</a>
              ))}
            </nav>
          )}
          <span class="muted">mode: {props.mode}</span>
          {props.viewer?.kind === 'session' && props.csrf !== null ? (
            <form method="post" action="/console/logout">
              <input type="hidden" name="csrf" value={props.csrf} />
              <button type="submit">Log out</button>
            </form>
          ) : null}
          {props.viewer?.kind === 'access' && props.viewer.email !== null ? (
            <span class="muted">{props.viewer.email}</span>
          ) : null}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Time(props: { ms: number | null | undefined }) {
  if (props.ms === null || props.ms === undefined) return <span class="muted">—</span>;
  return <time datetime={new Date(props.ms).toISOString()}>{isoTime(props.ms)}</time>;
}

export function StateBadge(props: { state: string | null | undefined }) {
  const s = props.state ?? 'none';
  const tone =
    s === 'regressed' || s === 'failure' || s === 'ROLLED_BACK' || s === 'FROZEN' || s === 'reject'
      ? 'bad'
      : s === 'fixed' || s === 'success' || s === 'merged' || s === 'COMPLETE' || s === 'pass'
        ? 'ok'
        : s === 'pending' || s === 'open' || s === 'INCONCLUSIVE'
          ? 'warn'
          : 'muted';
  return <span class={`state ${tone}`}>{s}</span>;
}
