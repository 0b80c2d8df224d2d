import { env } from 'cloudflare:workers';
import { HealthSchema, type HomeostatConfig } from '@homeostat/shared';
import { SignJWT } from 'jose';
import { afterEach, describe, inject, test, vi } from 'vitest';
import '../../../test/emulators/github/app-keys.types.ts';
import { createGitHubTestbed } from '../../../test/emulators/github/github-testbed.ts';
import { createTriageApp } from '../src/app.ts';
import { TriageError } from '../src/errors.ts';
import {
  appInstallationCredentials,
  importAppPrivateKey,
  privateKeyDer,
  signAppJwt,
} from '../src/github/github-app-auth.ts';
import { githubCredentials } from '../src/github/github-credentials.ts';
import { createGitHubClient } from '../src/github/github-factory.ts';
import { requests } from '../src/github/github-request.ts';
import { createTriageConsumer } from '../src/triage.consumer.ts';
import { createClock } from './support/clock.ts';
import { API_BASE, EXT_A, REPO_A, REPO_B, testConfig } from './support/config.ts';
import { freshFingerprint, seedFingerprint } from './support/fingerprints.ts';
import { messageId } from './support/harness.ts';
import { deliver, fingerprintMessage } from './support/queue.ts';

const keys = inject('githubAppKeys');
const APP_ID = 424_242;
const MINUTE = 60_000;

// Tokens are cached per isolate by App, installation and key: each test installs the App anew
// under its own installation id, as separate installations never share tokens.
let installations = 0;

function appConfig(app: { appId: number; installationId: number }): HomeostatConfig {
  const base = testConfig();
  return { ...base, github: { ...base.github, app } };
}

/** The emulator with the App installed on REPO_A, a clock, and triage's consumer in live mode. */
async function appBed(options: { privateKey?: string; appId?: number; token?: string } = {}) {
  installations++;
  const installationId = 7_000 + installations;
  const clock = createClock();
  const bed = createGitHubTestbed(inject('githubOpenApi'), {
    now: clock.now,
    baseUrl: API_BASE,
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  await bed.emulator.addRepo(REPO_A, { firstIssueNumber: 50_000 + installations * 1000 });
  await bed.emulator.addApp({
    appId: APP_ID,
    publicKey: keys.publicKey,
    installationId,
    repos: [REPO_A],
  });
  const config = appConfig({ appId: options.appId ?? APP_ID, installationId });
  const fetch = (input: string | URL | Request, init?: RequestInit) =>
    bed.fetch(new Request(input, init));
  const deps = { fetch, now: clock.now, sleep: clock.sleep };
  const consumer = createTriageConsumer({ config, ...deps });
  const bindings: Env = {
    ...env,
    GITHUB_TOKEN: options.token ?? '',
    GITHUB_APP_PRIVATE_KEY: options.privateKey ?? keys.pkcs1,
  };
  const fileOne = async () => {
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    return deliver(consumer, bindings, 'homeostat-triage', [
      { id: messageId(), body: fingerprintMessage(EXT_A, fp) },
    ]);
  };
  const client = () => {
    const credentials = githubCredentials(bindings, config, deps);
    if (credentials === null) throw new Error('no credentials');
    return createGitHubClient(config, credentials, deps);
  };
  return { ...bed, clock, config, installationId, bindings, fileOne, client };
}

/** Base64 runs of the key (PEM lines) and anything JWT- or token-shaped. */
function leaks(text: string): string[] {
  const pemLines = [keys.pkcs1, keys.pkcs8, keys.otherPkcs1]
    .flatMap((k) => k.split('\n'))
    .filter((line) => line.length > 20 && !line.startsWith('-----'));
  const found = pemLines.filter((line) => text.includes(line));
  for (const m of text.matchAll(/eyJ[A-Za-z0-9_-]{10,}|ghs_[A-Za-z0-9]{10,}/g)) found.push(m[0]);
  return found;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('triage as a GitHub App installation', () => {
  test('files an issue with an installation token, reused until 5 minutes before it expires', async ({
    expect,
  }) => {
    const h = await appBed();
    const first = await h.fileOne();
    expect(first.acked).toHaveLength(1);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    expect(h.emulator.appTokensIssued).toBe(1);

    // Another invocation of the same isolate 54 minutes later: the token has 6 minutes left.
    h.clock.advance(54 * MINUTE);
    await h.fileOne();
    expect(h.emulator.issues(REPO_A)).toHaveLength(2);
    expect(h.emulator.appTokensIssued).toBe(1);

    // Within 5 minutes of `expires_at`: renewed before use, never sent while dying.
    h.clock.advance(2 * MINUTE);
    await h.fileOne();
    expect(h.emulator.issues(REPO_A)).toHaveLength(3);
    expect(h.emulator.appTokensIssued).toBe(2);

    // The exchange itself went to GitHub's documented endpoint with a body GitHub accepts.
    const exchanges = h.emulator.requests.filter((r) => r.path.startsWith('/app/'));
    expect(exchanges.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', `/app/installations/${h.installationId}/access_tokens`, 201],
      ['POST', `/app/installations/${h.installationId}/access_tokens`, 201],
    ]);
    expect(h.violations).toEqual([]);
  });

  test('a token refused with 401 is renewed once; a second 401 is the typed error', async ({
    expect,
  }) => {
    const h = await appBed();
    const client = h.client();
    await client.send(requests.listIssues(REPO_A, { labels: [], state: 'open' }));
    expect(h.emulator.appTokensIssued).toBe(1);

    // Revoked (or the key rotated) while cached: GitHub says 401, the client renews and retries.
    h.emulator.revokeAppTokens(h.installationId);
    const again = await client.send(requests.listIssues(REPO_A, { labels: [], state: 'open' }));
    expect(again.status).toBe(200);
    expect(h.emulator.appTokensIssued).toBe(2);

    // An installation token reaches only the installation's repositories.
    await h.emulator.addRepo(REPO_B);
    const elsewhere = await client
      .send(requests.listIssues(REPO_B, { labels: [], state: 'open' }))
      .catch((e: unknown) => e);
    expect(elsewhere).toMatchObject({ code: 'github_rejected', upstreamStatus: 404 });

    // GitHub keeps answering 401: one renewal, then the error, no loop of new tokens.
    h.emulator.injectFault({ method: 'GET', path: /\/issues$/, status: 401, times: 5 });
    const err = await client
      .send(requests.listIssues(REPO_A, { labels: [], state: 'open' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TriageError);
    expect(err).toMatchObject({ code: 'github_rejected', upstreamStatus: 401 });
    expect(h.emulator.appTokensIssued).toBe(3);
    expect(h.violations).toEqual([]);
  });

  test('a fixed GITHUB_TOKEN never triggers a renewal on 401', async ({ expect }) => {
    const bed = createGitHubTestbed(inject('githubOpenApi'), { token: 'github_pat_right' });
    await bed.emulator.addRepo(REPO_A);
    const config = testConfig();
    const fetch = (input: string | URL | Request, init?: RequestInit) =>
      bed.fetch(new Request(input, init));
    const credentials = githubCredentials({ GITHUB_TOKEN: 'github_pat_wrong' }, config, {});
    expect(credentials?.kind).toBe('token');
    const client = createGitHubClient(config, credentials ?? expect.fail(), { fetch });
    const err = await client
      .send(requests.listIssues(REPO_A, { labels: [], state: 'open' }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'github_rejected', upstreamStatus: 401 });
    expect(bed.emulator.requests).toHaveLength(1);
  });

  test('PKCS#1 (as GitHub downloads it), PKCS#8 and a one-line \\n-escaped key all work', async ({
    expect,
  }) => {
    for (const privateKey of [keys.pkcs1, keys.pkcs8, keys.pkcs1.trim().replace(/\n/g, '\\n')]) {
      const h = await appBed({ privateKey });
      const res = await h.client().send(requests.listIssues(REPO_A, { labels: [], state: 'open' }));
      expect(res.status).toBe(200);
      expect(h.emulator.appTokensIssued).toBe(1);
    }
    // The wrapped PKCS#1 key is byte for byte the PKCS#8 encoding OpenSSL made of the same key.
    expect(privateKeyDer(keys.pkcs1)).toEqual(privateKeyDer(keys.pkcs8));
  });

  test('the App wins over a leftover GITHUB_TOKEN when both are set', async ({ expect }) => {
    const h = await appBed({ token: 'github_pat_leftover' });
    expect(githubCredentials(h.bindings, h.config, {})?.kind).toBe('app-installation');
    await h.fileOne();
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    expect(h.emulator.appTokensIssued).toBe(1);
  });

  test('a wrong key, App id or installation is a typed error that names no secret', async ({
    expect,
  }) => {
    const cases = [
      { privateKey: keys.otherPkcs1, status: 401 },
      { appId: APP_ID + 1, status: 401 },
    ];
    for (const c of cases) {
      const h = await appBed(c);
      const err = await h
        .client()
        .send(requests.listIssues(REPO_A, { labels: [], state: 'open' }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TriageError);
      expect(err).toMatchObject({
        code: 'github_app_auth_failed',
        retryable: false,
        upstreamStatus: c.status,
      });
      const e = err as TriageError;
      expect(leaks(`${e.message} ${e.internal} ${JSON.stringify(e)} ${String(e)}`)).toEqual([]);
      expect(h.emulator.appTokensIssued).toBe(0);
      // Nothing but the refused exchange was sent: no request went out unauthenticated.
      expect(h.emulator.requests.map((r) => r.status)).toEqual([c.status]);
    }

    const h = await appBed();
    const wrongInstallation = appInstallationCredentials({
      baseUrl: API_BASE,
      appId: APP_ID,
      installationId: h.installationId + 500,
      privateKey: keys.pkcs1,
      fetch: (input, init) => h.fetch(new Request(input, init)),
      now: h.clock.now,
    });
    await expect(wrongInstallation.authorization()).rejects.toMatchObject({
      code: 'github_app_auth_failed',
      upstreamStatus: 404,
    });
    expect(h.violations).toEqual([]);
  });

  test('an unusable key fails before anything is sent, and the consumer logs no secret', async ({
    expect,
  }) => {
    const body = keys.pkcs1.split('\n').slice(1, 4).join('\n');
    const unusable = [
      'not a key at all',
      `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----`,
      `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`,
      `-----BEGIN PRIVATE KEY-----\n${body}!\n-----END PRIVATE KEY-----`,
    ];
    for (const privateKey of unusable) {
      const h = await appBed({ privateKey });
      const err = await h
        .client()
        .send(requests.listIssues(REPO_A, { labels: [], state: 'open' }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'github_app_auth_failed', retryable: false });
      const e = err as TriageError;
      expect(leaks(`${e.message} ${e.internal} ${JSON.stringify(e)}`)).toEqual([]);
      expect(h.emulator.requests).toEqual([]);
    }

    // Through the queue consumer: the message is dropped as unfixable by retrying, and what it
    // logs carries the code and GitHub's reason, never the key, the JWT or a token.
    const logged: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
    const h = await appBed({ privateKey: keys.otherPkcs1 });
    const r = await h.fileOne();
    expect(r.acked).toHaveLength(1);
    expect(h.emulator.issues(REPO_A)).toEqual([]);
    expect(logged.join('\n')).toContain('github_app_auth_failed');
    expect(leaks(logged.join('\n'))).toEqual([]);
  });
});

describe("the emulator holds App JWTs to GitHub's rules", () => {
  test("triage's JWT survives GitHub's clock up to 60 s behind; bad times are refused", async ({
    expect,
  }) => {
    const signedAt = Date.parse('2026-11-21T10:00:00.000Z');
    const key = await importAppPrivateKey(keys.pkcs8);
    const jwt = await signAppJwt(key, APP_ID, signedAt);
    const exchange = async (githubNow: number, token = jwt) => {
      const bed = createGitHubTestbed(inject('githubOpenApi'), { now: () => githubNow });
      await bed.emulator.addApp({
        appId: APP_ID,
        publicKey: keys.publicKey,
        installationId: 9,
        repos: [],
      });
      const res = await bed.fetch(
        new Request(`${API_BASE}/app/installations/9/access_tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
        }),
      );
      expect(bed.violations).toEqual([]);
      return { status: res.status, message: ((await res.json()) as { message?: string }).message };
    };
    expect((await exchange(signedAt)).status).toBe(201);
    expect((await exchange(signedAt - 59_000)).status).toBe(201);
    expect((await exchange(signedAt + 8 * MINUTE)).status).toBe(201);
    expect(await exchange(signedAt - 61_000)).toEqual({
      status: 401,
      message: expect.stringMatching(/'Issued at' claim \('iat'\)/),
    });
    expect(await exchange(signedAt + 9 * MINUTE)).toEqual({
      status: 401,
      message: expect.stringMatching(/'Expiration time' claim \('exp'\) must be a numeric/),
    });
    const now = Math.floor(signedAt / 1000);
    const tooLong = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(String(APP_ID))
      .setIssuedAt(now - 60)
      .setExpirationTime(now + 11 * 60)
      .sign(key);
    expect(await exchange(signedAt, tooLong)).toEqual({
      status: 401,
      message: "'Expiration time' claim ('exp') is too far in the future",
    });
  });
});

describe('triage mode with App credentials', () => {
  async function health(config: HomeostatConfig, bindings: Partial<Env>) {
    const admin = 'admin-token-for-app-healthz';
    const res = await createTriageApp(config).request(
      '/healthz',
      { headers: { authorization: `Bearer ${admin}` } },
      { ...env, ADMIN_TOKEN: admin, GITHUB_TOKEN: '', ...bindings },
    );
    return HealthSchema.parse(await res.json());
  }

  test('live with `github.app` and the key; dry-run with either alone', async ({ expect }) => {
    const app = { appId: APP_ID, installationId: 1 };
    const live = await health(appConfig(app), { GITHUB_APP_PRIVATE_KEY: keys.pkcs1 });
    expect(live.mode).toBe('live');
    expect(live.capabilities).toMatchObject({ github: true });
    const noKey = await health(appConfig(app), { GITHUB_APP_PRIVATE_KEY: ' ' });
    expect(noKey.mode).toBe('dry-run');
    expect(noKey.capabilities).toMatchObject({ github: false });
    const noApp = await health(testConfig(), { GITHUB_APP_PRIVATE_KEY: keys.pkcs1 });
    expect(noApp.mode).toBe('dry-run');
  });
});
