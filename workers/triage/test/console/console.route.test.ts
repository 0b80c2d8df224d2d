import { env } from 'cloudflare:workers';
import { parseHomeostatConfig } from '@homeostat/shared';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, test } from 'vitest';
import {
  consoleSeed,
  HOSTILE,
  SEED_EXT,
  SEED_FP_HOSTILE,
  SEED_ROLLOUT_ID,
} from '../../../../test/fixtures/console/console-seed.ts';
import { createTriageApp } from '../../src/app.ts';
import { testConfig } from '../support/config.ts';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const LOCAL = 'http://127.0.0.1:8788';
const DEPLOYED = 'https://triage.example.com';
const ADMIN = 'console-admin-token-for-tests';

const PAGES = [
  '/console',
  `/console/problems/${SEED_EXT}/${encodeURIComponent(SEED_FP_HOSTILE)}`,
  '/console/fixes',
  '/console/releases',
  `/console/releases/${SEED_ROLLOUT_ID}`,
  '/console/outbox',
  '/console/settings',
];

beforeAll(async () => {
  await env.DB.batch(consoleSeed(NOW).map((s) => env.DB.prepare(s.sql).bind(...s.params)));
});

function request(
  app: ReturnType<typeof createTriageApp>,
  url: string,
  init: RequestInit = {},
  e: Partial<Env> = {},
) {
  return app.request(url, init, { ...env, ...e });
}

describe('console pages (issue 12, item 1)', () => {
  const app = createTriageApp(testConfig(), { now: () => NOW });

  test('every page renders from the seeded database under a strict CSP', async ({ expect }) => {
    for (const page of PAGES) {
      const res = await request(app, `${LOCAL}${page}`);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type'), page).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, page).toContain("default-src 'none'");
      expect(csp, page).toContain("script-src 'self'");
      expect(csp, page).not.toContain('unsafe-inline');
      expect(res.headers.get('cache-control'), page).toBe('no-store');
      const html = await res.text();
      // Only our own script tag, and no inline event handler or style attribute anywhere.
      expect(html.match(/<script/g)?.length ?? 0, page).toBe(1);
      expect(html, page).not.toMatch(/<[^>]*\son[a-z]+=/i);
      expect(html, page).not.toMatch(/<[^>]*\sstyle=/i);
    }
  });

  test('hostile error text is inert: escaped, never an href, bidi controls made visible', async ({
    expect,
  }) => {
    for (const page of PAGES.slice(0, 3).concat('/console/outbox')) {
      const html = await (await request(app, `${LOCAL}${page}`)).text();
      expect(html, page).not.toContain(HOSTILE.script);
      expect(html, page).not.toContain(HOSTILE.handler);
      expect(html, page).not.toContain('\u202E');
      expect(html, page).not.toMatch(/href="javascript:/i);
    }
    const problem = await (await request(app, `${LOCAL}${PAGES[1]}`)).text();
    expect(problem).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
    expect(problem).toContain('admin&lt;U+202E&gt;gnp.exe');
    // The in-app frame is marked, the vendored one is not.
    expect(problem).toContain('class="frame-app"');
    expect(problem).toContain('in app: src/popup.js');
    expect(problem).toContain('class="frame-lib"');
    // The PR URL in the database was `javascript:…`: shown as a state, never linked.
    expect(problem).toContain('<span class="muted">closed</span>');
    expect(problem).toContain('href="https://github.com/octo-org/notes-extension/issues/17"');
  });

  test('the problems list filters, sorts and searches with bound parameters', async ({
    expect,
  }) => {
    const fixed = await (await request(app, `${LOCAL}/console?state=fixed`)).text();
    expect(fixed).toContain('Unexpected token');
    expect(fixed).not.toContain('Cannot read');
    const search = await (
      await request(app, `${LOCAL}/console?q=${encodeURIComponent("%' OR 1=1 --")}`)
    ).text();
    expect(search).toContain('No problems match');
    const bad = await request(app, `${LOCAL}/console?sort=drop&state=nope&extension=x`);
    expect(bad.status).toBe(200);
    const sparkline = await (await request(app, `${LOCAL}/console?extension=${SEED_EXT}`)).text();
    expect(sparkline).toMatch(
      /aria-label="events per day, last 14 days: 1, 0, 3, 8, 2, 0, 0, 5, 9, 12, 30, 20, 18, 12"/,
    );
  });

  test('the release page charts the evidence with both decision thresholds', async ({ expect }) => {
    const html = await (await request(app, `${LOCAL}/console/releases/${SEED_ROLLOUT_ID}`)).text();
    expect(html).toContain('<polyline class="halt"');
    expect(html).toContain('<polyline class="safe"');
    expect(html).toContain(`halt: log(1/α) = ${Math.log(100).toFixed(2)}`);
    expect(html).toContain(`promote: log(1/β) = ${Math.log(20).toFixed(2)}`);
    expect(html).toContain('97.75%');
  });

  test('settings show secrets only as set or unset', async ({ expect }) => {
    const html = await (
      await request(
        app,
        `${LOCAL}/console/settings`,
        {},
        { GITHUB_TOKEN: 'ghp_secretvalue123456789' },
      )
    ).text();
    expect(html).not.toContain('ghp_secretvalue123456789');
    expect(html).toMatch(/<code>GITHUB_TOKEN<\/code><\/td><td class="ok">set/);
    expect(html).toMatch(/<code>ADMIN_TOKEN<\/code><\/td><td class="muted">unset/);
  });

  test('unknown problems and rollouts are 404 pages, not errors', async ({ expect }) => {
    expect(
      (await request(app, `${LOCAL}/console/problems/${SEED_EXT}/fp1:${'0'.repeat(32)}`)).status,
    ).toBe(404);
    expect((await request(app, `${LOCAL}/console/problems/x/y`)).status).toBe(404);
    expect((await request(app, `${LOCAL}/console/releases/abc`)).status).toBe(404);
  });
});

describe('console access', () => {
  const app = createTriageApp(testConfig(), { now: () => NOW });

  test('loopback is open only outside production; deployed without a way in it is off', async ({
    expect,
  }) => {
    expect(
      (await request(app, `${LOCAL}/console`, {}, { HOMEOSTAT_ENV: 'production' })).status,
    ).toBe(403);
    const off = await request(app, `${DEPLOYED}/console`, {}, { ADMIN_TOKEN: '' });
    expect(off.status).toBe(403);
    expect(await off.text()).toContain('The console is off');
  });

  test('admin-token login: CSRF-checked form, then a signed HttpOnly Secure SameSite=Strict session', async ({
    expect,
  }) => {
    const e = { ADMIN_TOKEN: ADMIN, HOMEOSTAT_ENV: 'production' };
    const anon = await request(app, `${DEPLOYED}/console/fixes`, {}, e);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Ffixes');

    const form = await request(app, `${DEPLOYED}/console/login?next=/console/fixes`, {}, e);
    const csrfCookie = /__Host-homeostat-csrf=([^;]+)/.exec(
      form.headers.get('set-cookie') ?? '',
    )?.[1];
    expect(form.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    expect(csrf).toBe(csrfCookie);

    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      request(
        app,
        `${DEPLOYED}/console/login`,
        {
          method: 'POST',
          body: new URLSearchParams(body),
          headers: { cookie: `__Host-homeostat-csrf=${csrfCookie}`, ...headers },
        },
        e,
      );
    expect((await post({ token: ADMIN, csrf: 'x'.repeat(32) })).status).toBe(403);
    expect((await post({ token: 'wrong', csrf: csrf ?? '' })).status).toBe(403);
    expect(
      (await post({ token: ADMIN, csrf: csrf ?? '' }, { origin: 'https://evil.example' })).status,
    ).toBe(403);
    const ok = await post({ token: ADMIN, csrf: csrf ?? '', next: '//evil.example/x' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console');
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/__Host-homeostat-console=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const session = /__Host-homeostat-console=([^;]+)/.exec(setCookie)?.[1] ?? '';

    const page = await request(
      app,
      `${DEPLOYED}/console/fixes`,
      { headers: { cookie: `__Host-homeostat-console=${session}` } },
      e,
    );
    expect(page.status).toBe(200);
    // A forged or tampered session is not one; a session of another token neither.
    const tampered = session.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect(
      (
        await request(
          app,
          `${DEPLOYED}/console/fixes`,
          { headers: { cookie: `__Host-homeostat-console=${tampered}` } },
          e,
        )
      ).status,
    ).toBe(303);
    expect(
      (
        await request(
          app,
          `${DEPLOYED}/console/fixes`,
          { headers: { cookie: `__Host-homeostat-console=${session}` } },
          { ...e, ADMIN_TOKEN: 'rotated-token' },
        )
      ).status,
    ).toBe(303);
    // Sessions expire.
    const later = createTriageApp(testConfig(), { now: () => NOW + 13 * 3_600_000 });
    expect(
      (
        await request(
          later,
          `${DEPLOYED}/console/fixes`,
          { headers: { cookie: `__Host-homeostat-console=${session}` } },
          e,
        )
      ).status,
    ).toBe(303);
  });

  test('Cloudflare Access: only a JWT signed by the team key for this audience gets in', async ({
    expect,
  }) => {
    const team = 'homeostat-test.cloudflareaccess.com';
    const audience = 'a'.repeat(64);
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const base = testConfig();
    const config = parseHomeostatConfig({
      version: 1,
      github: base.github,
      extensions: base.extensions,
      repositories: base.repositories.map((r) => ({ slug: r.slug })),
      console: { access: { teamDomain: team, audience } },
    });
    const accessApp = createTriageApp(config, {
      now: () => NOW,
      accessKeys: createLocalJWKSet({ keys: [jwk] }),
    });
    const sign = (key: CryptoKey, aud: string, iss = `https://${team}`) =>
      new SignJWT({ email: 'dev@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    const e = { HOMEOSTAT_ENV: 'production' };
    const withJwt = async (jwt: string | null) =>
      request(
        accessApp,
        `${DEPLOYED}/console`,
        jwt === null ? {} : { headers: { 'cf-access-jwt-assertion': jwt } },
        e,
      );
    expect((await withJwt(null)).status).toBe(403);
    expect((await withJwt('not.a.jwt')).status).toBe(403);
    expect((await withJwt(await sign(other.privateKey, audience))).status).toBe(403);
    expect((await withJwt(await sign(privateKey, 'b'.repeat(64)))).status).toBe(403);
    expect(
      (await withJwt(await sign(privateKey, audience, 'https://evil.cloudflareaccess.com'))).status,
    ).toBe(403);
    const ok = await withJwt(await sign(privateKey, audience));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('dev@example.com');
  });

  test('the console adds nothing to other routes', async ({ expect }) => {
    const res = await request(app, `${LOCAL}/healthz`);
    expect(res.headers.get('content-security-policy')).toBeNull();
  });
});
