/** @jsxImportSource hono/jsx */
import type { HomeostatConfig } from '@homeostat/shared';
import { type Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { triageMode } from '../triage-mode.ts';
import { CONSOLE_CSS, CONSOLE_ICON, CONSOLE_JS } from './console-assets.ts';
import {
  type ConsoleDeps,
  type ConsoleEnv,
  checkCsrf,
  consoleAuthMode,
  csrfToken,
  issueSession,
  requireViewer,
  safeNext,
  secretEquals,
  setSessionCookie,
} from './console-auth.ts';
import {
  getFixes,
  getProblem,
  getProblemDetail,
  getRollout,
  listOutboxPage,
  listProblems,
  listRollouts,
  ProblemFilterSchema,
} from './console-queries.ts';
import { FixesPage } from './fixes.page.tsx';
import { Layout } from './layout.tsx';
import { Denied, LoginForm } from './login.page.tsx';
import { OutboxPage } from './outbox.page.tsx';
import { ProblemPage } from './problem.page.tsx';
import { ProblemsPage } from './problems.page.tsx';
import { ReleasePage, ReleasesPage } from './releases.page.tsx';
import { SettingsPage } from './settings.page.tsx';

/**
 * The console's policy (issue 12, item 1): no script or style but our own two files, no
 * third-party origin, no framing, forms post only here. Inline SVG needs nothing more.
 */
const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

const FINGERPRINT = /^fp1:[0-9a-f]{32}$/;
const EXTENSION = /^[a-p]{32}$/;
const LoginForm_ = z.object({
  token: z.string().max(512),
  csrf: z.string().max(64),
  next: z.string().max(256).optional(),
});

type C = Context<ConsoleEnv>;

function render(c: C, title: string, body: unknown, status: 200 | 403 | 404 = 200) {
  const viewer = c.get('viewer') ?? null;
  const csrf = c.get('csrf') ?? null;
  return c.html(
    <Layout title={title} viewer={viewer} csrf={csrf} mode={c.get('mode')}>
      {body as never}
    </Layout>,
    status,
  );
}

/** Mounts the console under `/console` (and `/` redirects there). */
export function registerConsole(
  app: Hono<{ Bindings: Env }>,
  config: HomeostatConfig,
  deps: ConsoleDeps = {},
) {
  const now = deps.now ?? Date.now;
  const ui = new Hono<ConsoleEnv>();
  // Mounted at `/`: middleware names its paths, or it would wrap every other route of triage.
  const headers = secureHeaders({ contentSecurityPolicy: CSP, crossOriginEmbedderPolicy: false });
  const noStore = async (c: C, next: () => Promise<void>) => {
    await next();
    // Pages show data that changes by the minute and may be behind a login: never cached.
    if (!c.req.path.startsWith('/console/assets/')) c.header('cache-control', 'no-store');
  };
  for (const path of ['/console', '/console/*']) {
    ui.use(path, headers);
    ui.use(path, noStore);
    ui.use(path, async (c, next) => {
      c.set('mode', triageMode(c.env, config).mode);
      await next();
    });
  }
  ui.onError((err, c) => {
    console.error(
      JSON.stringify({ at: 'console', error: err instanceof Error ? err.name : 'unknown' }),
    );
    return render(c, 'Something went wrong', <p>The page could not be built. Try again.</p>, 200);
  });

  ui.get('/console/assets/console.css', (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('cache-control', 'public, max-age=300');
    return c.body(CONSOLE_CSS);
  });
  ui.get('/console/assets/console.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=300');
    return c.body(CONSOLE_JS);
  });

  ui.get('/console/assets/icon.svg', (c) => {
    c.header('content-type', 'image/svg+xml');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(CONSOLE_ICON);
  });

  ui.get('/console/login', (c) => {
    if (consoleAuthMode(c, config) !== 'session') return c.redirect('/console', 303);
    c.set('csrf', csrfToken(c));
    return render(
      c,
      'Log in',
      <LoginForm csrf={c.get('csrf')} next={safeNext(c.req.query('next'))} failed={false} />,
    );
  });
  ui.post('/console/login', async (c) => {
    if (consoleAuthMode(c, config) !== 'session') return c.redirect('/console', 303);
    const form = LoginForm_.safeParse(await c.req.parseBody().catch(() => ({})));
    if (!form.success || !(await checkCsrf(c, form.data.csrf))) {
      c.set('csrf', csrfToken(c));
      return render(
        c,
        'Log in',
        <LoginForm csrf={c.get('csrf')} next="/console" failed={true} />,
        403,
      );
    }
    if (!(await secretEquals(form.data.token, c.env.ADMIN_TOKEN))) {
      c.set('csrf', csrfToken(c));
      return render(
        c,
        'Log in',
        <LoginForm csrf={c.get('csrf')} next={safeNext(form.data.next)} failed={true} />,
        403,
      );
    }
    setSessionCookie(c, await issueSession(c.env.ADMIN_TOKEN, now()));
    return c.redirect(safeNext(form.data.next), 303);
  });

  const deny = (c: C, why: 'disabled' | 'access') =>
    render(c, 'Console unavailable', <Denied why={why} />, 403);
  ui.use('/console', requireViewer(config, deps, deny));
  ui.use('/console/*', requireViewer(config, deps, deny));

  ui.post('/console/logout', async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    if (!(await checkCsrf(c, body.csrf))) {
      return render(c, 'Log out', <p>The form expired; reload the page and try again.</p>, 403);
    }
    setSessionCookie(c, null);
    return c.redirect('/console/login', 303);
  });

  ui.get('/console', async (c) => {
    const filter = ProblemFilterSchema.parse(c.req.query());
    const rows = await listProblems(c.env.DB, filter);
    return render(
      c,
      'Problems',
      <ProblemsPage config={config} filter={filter} rows={rows} now={now()} />,
    );
  });

  ui.get('/console/problems/:extension/:fingerprint', async (c) => {
    const extension = c.req.param('extension');
    const fingerprint = c.req.param('fingerprint').replace(/%3A/i, ':');
    if (!EXTENSION.test(extension) || !FINGERPRINT.test(fingerprint)) {
      return render(c, 'Not found', <p>No such problem.</p>, 404);
    }
    const row = await getProblem(c.env.DB, extension, fingerprint);
    if (row === null) return render(c, 'Not found', <p>No such problem.</p>, 404);
    const detail = await getProblemDetail(c.env.DB, extension, fingerprint);
    const ext = config.extensions.find((e) => e.id === extension);
    const repo =
      config.repositories.find((r) => r.slug.toLowerCase() === ext?.repo.toLowerCase()) ?? null;
    return render(
      c,
      'Problem',
      <ProblemPage config={config} row={row} detail={detail} repo={repo} now={now()} />,
    );
  });

  ui.get('/console/fixes', async (c) =>
    render(c, 'Fixes', <FixesPage config={config} view={await getFixes(c.env.DB, now())} />),
  );

  ui.get('/console/releases', async (c) =>
    render(c, 'Releases', <ReleasesPage rollouts={await listRollouts(c.env.DB)} />),
  );
  ui.get('/console/releases/:id', async (c) => {
    const id = z.coerce.number().int().min(1).safeParse(c.req.param('id'));
    const detail = id.success ? await getRollout(c.env.DB, id.data) : null;
    if (detail === null) return render(c, 'Not found', <p>No such rollout.</p>, 404);
    return render(c, `Release ${detail.rollout.version}`, <ReleasePage detail={detail} />);
  });

  ui.get('/console/outbox', async (c) => {
    const before = z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .catch(undefined)
      .parse(c.req.query('before'));
    const rows = await listOutboxPage(c.env.DB, before, 50);
    const next = rows.length === 50 ? (rows.at(-1)?.id ?? null) : null;
    return render(
      c,
      'Outbox',
      <OutboxPage rows={rows} mode={triageMode(c.env, config).mode} next={next} />,
    );
  });

  ui.get('/console/settings', (c) =>
    render(
      c,
      'Settings',
      <SettingsPage
        config={config}
        env={c.env as unknown as Record<string, unknown>}
        authMode={consoleAuthMode(c, config)}
      />,
    ),
  );

  app.get('/', (c) => c.redirect('/console', 302));
  app.route('/', ui as unknown as Hono<{ Bindings: Env }>);
}
