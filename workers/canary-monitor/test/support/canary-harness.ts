import { env } from 'cloudflare:workers';
import {
  type HomeostatConfig,
  type HomeostatConfigInput,
  parseHomeostatConfig,
} from '@homeostat/shared';
import {
  createStoreEmulator,
  type StoreEmulator,
} from '../../../../test/emulators/chrome-web-store/store-emulator.ts';
import { runCanaryTick, type TickReport } from '../../src/canary.cron.ts';
import type { CanaryDeps } from '../../src/canary-deps.ts';
import { createRefreshTokenSource } from '../../src/cws/cws-auth.ts';
import { type CwsClient, createCwsClient } from '../../src/cws/cws-client.ts';
import { WINDOW_MS } from '../../src/judge/judge.ts';
import type { ReleaseNotifier } from '../../src/notify/release-notifier.ts';
import type { Rollout } from '../../src/rollout/rollout.schema.ts';
import { type RegisterInput, registerRollout } from '../../src/rollout/rollout-registry.ts';
import { getRollout } from '../../src/rollout/rollout-store.ts';

/**
 * Drives canary-monitor against the real local D1 and the store emulator: a config with one
 * extension (a fresh id per harness, so tests in one file never see each other's rollouts),
 * release_health seeded by the test, ticks on a simulated 5-minute clock.
 */

let counter = 0;
/** A valid, unique extension id (32 letters a–p). */
export function freshExtensionId(): string {
  counter++;
  const letters = 'abcdefghijklmnop';
  let n = counter + Math.floor(Math.random() * 1e6) * 100;
  let suffix = '';
  for (let i = 0; i < 8; i++) {
    suffix += letters[n % 16];
    n = Math.floor(n / 16);
  }
  return `${'a'.repeat(24)}${suffix}`;
}

export type CanaryOverrides = NonNullable<HomeostatConfigInput['canary']>;

export function testConfig(extensionId: string, canary: CanaryOverrides = {}): HomeostatConfig {
  return parseHomeostatConfig({
    version: 1,
    extensions: [
      {
        id: extensionId,
        name: 'demo-extension',
        ingestKeys: [`hs_pub_test_${extensionId.slice(-12)}`],
        repo: 'homeostat-demo/demo-extension',
        store: { publisherId: 'pub-1' },
      },
    ],
    repositories: [{ slug: 'homeostat-demo/demo-extension' }],
    canary: {
      storeApiBaseUrl: 'https://chromewebstore.emulator.test',
      oauthTokenUrl: 'https://oauth2.emulator.test/token',
      firstStageMinSoakMinutes: 60,
      minSoakMinutes: 30,
      minSessionsPerStage: 500,
      ...canary,
    },
  });
}

export interface RecordingNotifier extends ReleaseNotifier {
  posts: { extensionId: string; version: string; title: string; body: string }[];
  failing: boolean;
}

export function recordingNotifier(): RecordingNotifier {
  const n: RecordingNotifier = {
    posts: [],
    failing: false,
    async post(input) {
      if (n.failing) throw new Error('delivery failed');
      n.posts.push(input);
      return { status: 'sent' };
    },
  };
  return n;
}

export interface HealthCounts {
  canarySessions: number;
  canaryAffected: number;
  baselineSessions: number;
  baselineAffected: number;
  /** Raw error events: counted by ingest but never judged. */
  canaryErrorEvents?: number;
  /** Of the sessions and affected sessions above: those of installs in their first day. */
  canaryNewInstallSessions?: number;
  canaryNewInstallAffected?: number;
  baselineNewInstallSessions?: number;
  baselineNewInstallAffected?: number;
  /**
   * Distinct installs behind the sessions and the affected sessions (release_health `installs`,
   * `error_installs`); by default every session is its own install, as in honest traffic.
   */
  canaryInstalls?: number;
  canaryAffectedInstalls?: number;
  baselineInstalls?: number;
  baselineAffectedInstalls?: number;
}

export async function seedHealth(
  extensionId: string,
  versions: { canary: string; baseline: string },
  from: number,
  windows: number,
  counts: (i: number) => HealthCounts,
): Promise<void> {
  const stmts: D1PreparedStatement[] = [];
  const insert = env.DB.prepare(
    `INSERT INTO release_health (extension_id, version, window_start, sessions, error_sessions,
       error_events, new_install_sessions, new_install_error_sessions, installs, error_installs)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT (extension_id, version, window_start) DO UPDATE SET sessions = excluded.sessions,
       error_sessions = excluded.error_sessions, error_events = excluded.error_events,
       new_install_sessions = excluded.new_install_sessions,
       new_install_error_sessions = excluded.new_install_error_sessions,
       installs = excluded.installs, error_installs = excluded.error_installs`,
  );
  for (let i = 0; i < windows; i++) {
    const c = counts(i);
    const start = from + i * WINDOW_MS;
    if (c.canarySessions > 0) {
      stmts.push(
        insert.bind(
          extensionId,
          versions.canary,
          start,
          c.canarySessions,
          c.canaryAffected,
          c.canaryErrorEvents ?? c.canaryAffected,
          c.canaryNewInstallSessions ?? 0,
          c.canaryNewInstallAffected ?? 0,
          c.canaryInstalls ?? c.canarySessions,
          c.canaryAffectedInstalls ?? c.canaryAffected,
        ),
      );
    }
    if (c.baselineSessions > 0) {
      stmts.push(
        insert.bind(
          extensionId,
          versions.baseline,
          start,
          c.baselineSessions,
          c.baselineAffected,
          c.baselineAffected,
          c.baselineNewInstallSessions ?? 0,
          c.baselineNewInstallAffected ?? 0,
          c.baselineInstalls ?? c.baselineSessions,
          c.baselineAffectedInstalls ?? c.baselineAffected,
        ),
      );
    }
  }
  for (let i = 0; i < stmts.length; i += 200) await env.DB.batch(stmts.slice(i, i + 200));
}

/**
 * One fingerprint as ingest and triage leave it: a `fingerprints` row with its distinct installs
 * (by default one per session), a `fingerprint_versions` row per (version, surface) with its
 * distinct sessions, and, when `class` is given, a `triage_issues` row.
 */
export async function seedFingerprint(
  extensionId: string,
  fingerprint: string,
  sessions: { version: string; surface: string; sessions: number }[],
  triage: { class: string | null; repo?: string } | null,
  at = Date.UTC(2026, 10, 22),
  installs = sessions.reduce((n, s) => n + s.sessions, 0),
): Promise<void> {
  const stmts = sessions.map((s) =>
    env.DB.prepare(
      `INSERT INTO fingerprint_versions (extension_id, fingerprint, version, surface, events,
         sessions, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
       ON CONFLICT (extension_id, fingerprint, version, surface) DO UPDATE SET
         events = excluded.events, sessions = excluded.sessions`,
    ).bind(extensionId, fingerprint, s.version, s.surface, s.sessions * 4, s.sessions, at),
  );
  const first = sessions[0];
  if (first !== undefined) {
    stmts.push(
      env.DB.prepare(
        `INSERT INTO fingerprints (extension_id, fingerprint, error_type, title, events, installs,
           first_seen, last_seen, first_version, last_version, state, flushed_at)
         VALUES (?1, ?2, 'Error', 'Error: seeded', ?3, ?4, ?5, ?5, ?6, ?6, 'open', ?5)
         ON CONFLICT (extension_id, fingerprint) DO UPDATE SET installs = excluded.installs`,
      ).bind(extensionId, fingerprint, installs * 4, installs, at, first.version),
    );
  }
  if (triage !== null) {
    stmts.push(
      env.DB.prepare(
        `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, class, created_at,
           updated_at) VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?5)
         ON CONFLICT (repo, extension_id, fingerprint) DO UPDATE SET class = excluded.class`,
      ).bind(
        triage.repo ?? 'homeostat-demo/demo-extension',
        extensionId,
        fingerprint,
        triage.class,
        at,
      ),
    );
  }
  await env.DB.batch(stmts);
}

/** Healthy: the canary's error-affected rate equals the baseline's (1%). */
export const healthy = (): HealthCounts => ({
  canarySessions: 400,
  canaryAffected: 4,
  baselineSessions: 2_000,
  baselineAffected: 20,
});

export interface HarnessOptions {
  canary?: CanaryOverrides;
  /** Version live at 100% before the rollout. */
  baseline?: string;
  version?: string;
  users7d?: number;
  live?: boolean;
  start?: number;
}

export function createHarness(options: HarnessOptions = {}) {
  const extensionId = freshExtensionId();
  const config = testConfig(extensionId, options.canary);
  const emulator: StoreEmulator = createStoreEmulator();
  const baseline = options.baseline ?? '1.0.0';
  const version = options.version ?? '1.1.0';
  emulator.addItem({
    publisherId: 'pub-1',
    itemId: extensionId,
    published: baseline,
    ...(options.users7d === undefined ? {} : { users7d: options.users7d }),
  });
  emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
  const github = recordingNotifier();
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    { fetch: emulator.fetch },
  );
  const live = options.live ?? true;
  let wrapStore: (client: CwsClient) => CwsClient = (c) => c;
  const deps: CanaryDeps = {
    storeCredentials: live,
    storeFor: (extension) =>
      live
        ? wrapStore(
            createCwsClient({
              baseUrl: emulator.baseUrl,
              publisherId: 'pub-1',
              itemId: extension.id,
              auth,
              fetch: emulator.fetch,
            }),
          )
        : null,
    notifiers: { github, slack: null },
  };
  let clock = options.start ?? Date.UTC(2026, 10, 22, 0, 0) + counter * 30 * 86_400_000;
  let rolloutId: number | null = null;

  return {
    extensionId,
    config,
    emulator,
    github,
    deps,
    baseline,
    version,
    get now() {
      return clock;
    },
    /** Replace the store client, e.g. to inject a crash after a call. */
    wrapStore(wrap: (client: CwsClient) => CwsClient) {
      wrapStore = wrap;
    },
    /** Publishes the canary at the first stage, as the release CLI does. */
    publishCanary(percentage = config.canary.stages[0] ?? 5) {
      emulator.publishByHand(extensionId, version, percentage);
    },
    async register(input: Partial<RegisterInput> = {}): Promise<Rollout> {
      const r = await registerRollout(
        env.DB,
        config,
        { extensionId, version, ...input },
        clock,
        live,
      );
      rolloutId = r.id;
      return r;
    },
    seed(windows: number, counts: (i: number) => HealthCounts, from = clock) {
      return seedHealth(
        extensionId,
        { canary: version, baseline },
        Math.floor(from / WINDOW_MS) * WINDOW_MS,
        windows,
        counts,
      );
    },
    /** Advances the clock by 5 minutes and runs one judging pass. */
    async tick(): Promise<TickReport> {
      clock += WINDOW_MS;
      return runCanaryTick(env.DB, config, deps, clock);
    },
    async tickUntil(done: (r: Rollout) => boolean, max = 400): Promise<Rollout> {
      for (let i = 0; i < max; i++) {
        await this.tick();
        const r = await this.rollout();
        if (done(r)) return r;
      }
      throw new Error(`not reached in ${max} ticks: ${JSON.stringify(await this.rollout())}`);
    },
    async rollout(): Promise<Rollout> {
      if (rolloutId === null) {
        const row = await env.DB.prepare(
          'SELECT id FROM canary_rollouts WHERE extension_id = ?1 ORDER BY id DESC',
        )
          .bind(extensionId)
          .first<{ id: number }>();
        if (row === null) throw new Error('no rollout');
        rolloutId = row.id;
      }
      const r = await getRollout(env.DB, rolloutId);
      if (r === null) throw new Error('rollout vanished');
      return r;
    },
    async decisions() {
      const r = await this.rollout();
      const { results } = await env.DB.prepare(
        'SELECT * FROM canary_decisions WHERE rollout_id = ?1 ORDER BY id',
      )
        .bind(r.id)
        .all<DecisionRow>();
      return results;
    },
    async notifications() {
      const r = await this.rollout();
      const { results } = await env.DB.prepare(
        'SELECT * FROM canary_notifications WHERE rollout_id = ?1 ORDER BY id',
      )
        .bind(r.id)
        .all<{ channel: string; title: string; body: string; status: string; attempts: number }>();
      return results;
    },
    /** Mutations the emulator applied for this harness's item. */
    mutations() {
      return emulator.mutations().filter((c) => c.itemId === extensionId);
    },
  };
}

export interface DecisionRow {
  id: number;
  tick_at: number;
  mode: string;
  state_before: string;
  state_after: string;
  stage_index: number;
  decision: string;
  reasons: string;
  judge_input: string | null;
  judge_output: string | null;
  action: string;
  action_status: string;
  action_result: string | null;
}
