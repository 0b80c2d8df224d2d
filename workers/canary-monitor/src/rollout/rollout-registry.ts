import { compareVersions, type ExtensionConfig, type HomeostatConfig } from '@homeostat/shared';
import { CanaryError } from '../canary-error.ts';
import { judgeParamsFromConfig, WINDOW_MS } from '../judge/judge.ts';
import { alignWindow, versionTotals } from './release-health.ts';
import { ACTIVE_STATES, type Rollout } from './rollout.schema.ts';
import { getRollout, parseRollout } from './rollout-store.ts';

/**
 * Creating rollouts: registered through the admin API (or the release CLI), or discovered from
 * release health when a newer version starts reporting sessions (observe only: a discovered
 * rollout never acts on the store). The judge parameters and stages are fixed at registration,
 * so a later config change cannot alter a rollout's statistics halfway (and replays stay exact).
 */
export interface RegisterInput {
  extensionId: string;
  version: string;
  baselineVersion?: string | undefined;
  mode?: 'live' | 'observe' | undefined;
}

/** A rollout may act on the store only with credentials, a store item, and nobody choosing observe. */
export function rolloutMode(
  config: HomeostatConfig,
  extension: ExtensionConfig,
  requested: 'live' | 'observe' | undefined,
  storeCredentials: boolean,
): 'live' | 'observe' {
  if (requested === 'observe' || config.canary.mode === 'observe') return 'observe';
  if (!storeCredentials || extension.store === undefined) return 'observe';
  return 'live';
}

// FROZEN rollouts wait for a human and neither block nor get replaced by a newer version.
const activeList = ACTIVE_STATES.filter((s) => s !== 'FROZEN')
  .map((s) => `'${s}'`)
  .join(', ');

async function activeRollouts(db: D1Database, extensionId: string): Promise<Rollout[]> {
  const { results } = await db
    .prepare(`SELECT * FROM canary_rollouts WHERE extension_id = ?1 AND state IN (${activeList})`)
    .bind(extensionId)
    .all();
  return results.map(parseRollout);
}

function rolloutColumns(config: HomeostatConfig) {
  return {
    stages: JSON.stringify(config.canary.stages),
    params: JSON.stringify(judgeParamsFromConfig(config.canary)),
    rollbackPolicy: config.canary.rollback,
    onInconclusive: config.canary.onInconclusive,
  };
}

export async function registerRollout(
  db: D1Database,
  config: HomeostatConfig,
  input: RegisterInput,
  now: number,
  storeCredentials: boolean,
): Promise<Rollout> {
  const extension = config.extensions.find((e) => e.id === input.extensionId);
  if (extension === undefined) {
    throw new CanaryError('invalid_request', 'the extension is not configured', {
      issues: [{ path: 'extensionId', code: 'unknown_extension' }],
    });
  }
  if (
    input.baselineVersion !== undefined &&
    compareVersions(input.baselineVersion, input.version) >= 0
  ) {
    throw new CanaryError('invalid_request', 'the baseline must be lower than the version', {
      issues: [{ path: 'baselineVersion', code: 'not_lower' }],
    });
  }
  const mode = rolloutMode(config, extension, input.mode, storeCredentials);
  const cols = rolloutColumns(config);
  const active = await activeRollouts(db, extension.id);
  for (const r of active) {
    if (r.version !== input.version && compareVersions(r.version, input.version) > 0) {
      throw new CanaryError('conflict', 'a newer version of this extension is being rolled out');
    }
  }
  const existing = await db
    .prepare('SELECT * FROM canary_rollouts WHERE extension_id = ?1 AND version = ?2')
    .bind(extension.id, input.version)
    .first();
  const statements: D1PreparedStatement[] = [];
  // The store has one update track: a newer version replaces the rollout in flight (§1.5).
  for (const r of active) {
    if (r.version === input.version) continue;
    statements.push(
      db
        .prepare(
          `UPDATE canary_rollouts SET state = 'DETACHED', detail = ?3, pending_action = NULL,
             rev = rev + 1, updated_at = ?4 WHERE id = ?1 AND rev = ?2`,
        )
        .bind(r.id, r.rev, `superseded by ${input.version}`, now),
    );
  }
  if (existing !== null) {
    const prior = parseRollout(existing);
    if (prior.source !== 'discovered') {
      throw new CanaryError('conflict', 'this version is already registered');
    }
    // A registration takes over a rollout that was only being observed from release health.
    statements.push(
      db
        .prepare(
          `UPDATE canary_rollouts SET source = 'api', mode = ?3, state = 'PREFLIGHT', stage_index = 0,
             stage_started_at = NULL, stages = ?4, params = ?5, rollback_policy = ?6,
             on_inconclusive = ?7, judge_state = NULL, baseline_version = ?8,
             rollback_preflight = NULL, rollback_version = NULL, pending_action = NULL,
             open_alert = NULL, detail = NULL, windows_from = ?9, rev = rev + 1, updated_at = ?10
           WHERE id = ?1 AND rev = ?2`,
        )
        .bind(
          prior.id,
          prior.rev,
          mode,
          cols.stages,
          cols.params,
          cols.rollbackPolicy,
          cols.onInconclusive,
          input.baselineVersion ?? null,
          alignWindow(now),
          now,
        ),
    );
  } else {
    statements.push(
      insertStatement(db, {
        ...input,
        source: 'api',
        mode,
        windowsFrom: alignWindow(now),
        now,
        cols,
      }),
    );
  }
  await db.batch(statements);
  const row = await db
    .prepare('SELECT id FROM canary_rollouts WHERE extension_id = ?1 AND version = ?2')
    .bind(extension.id, input.version)
    .first<{ id: number }>();
  const rollout = row === null ? null : await getRollout(db, row.id);
  if (rollout === null)
    throw new CanaryError('conflict', 'the rollout changed while it was registered');
  return rollout;
}

function insertStatement(
  db: D1Database,
  r: RegisterInput & {
    source: 'api' | 'discovered';
    mode: 'live' | 'observe';
    windowsFrom: number;
    now: number;
    cols: ReturnType<typeof rolloutColumns>;
  },
) {
  return db
    .prepare(
      `INSERT INTO canary_rollouts (extension_id, version, baseline_version, source, mode, state,
         stage_index, stages, params, rollback_policy, on_inconclusive, windows_from, created_at,
         updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'PREFLIGHT', 0, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
       ON CONFLICT (extension_id, version) DO NOTHING`,
    )
    .bind(
      r.extensionId,
      r.version,
      r.baselineVersion ?? null,
      r.source,
      r.mode,
      r.cols.stages,
      r.cols.params,
      r.cols.rollbackPolicy,
      r.cols.onInconclusive,
      r.windowsFrom,
      r.now,
    );
}

const DISCOVERY_LOOKBACK_MS = 24 * 3_600_000;

/**
 * For each configured extension with nothing being rolled out: if release health shows a version
 * above every version ever judged, and a lower version to compare it with, observe it. This is
 * what lets `npm start` judge the ingest data with no registration and no credentials.
 */
export async function discoverRollouts(
  db: D1Database,
  config: HomeostatConfig,
  now: number,
): Promise<Rollout[]> {
  if (!config.canary.discover) return [];
  const created: Rollout[] = [];
  for (const extension of config.extensions) {
    if ((await activeRollouts(db, extension.id)).length > 0) continue;
    const totals = await versionTotals(db, extension.id, now - DISCOVERY_LOOKBACK_MS);
    if (totals.length < 2) continue;
    const sorted = [...totals].sort((a, b) => compareVersions(b.version, a.version));
    const candidate = sorted[0];
    if (candidate === undefined) continue;
    const { results } = await db
      .prepare('SELECT version FROM canary_rollouts WHERE extension_id = ?1')
      .bind(extension.id)
      .all<{ version: string }>();
    if (results.some((r) => compareVersions(r.version, candidate.version) >= 0)) continue;
    await insertStatement(db, {
      extensionId: extension.id,
      version: candidate.version,
      source: 'discovered',
      mode: 'observe',
      windowsFrom: Math.max(
        alignWindow(candidate.first_window),
        alignWindow(now) - DISCOVERY_LOOKBACK_MS - WINDOW_MS,
      ),
      now,
      cols: rolloutColumns(config),
    }).run();
    const row = await db
      .prepare('SELECT * FROM canary_rollouts WHERE extension_id = ?1 AND version = ?2')
      .bind(extension.id, candidate.version)
      .first();
    if (row !== null) created.push(parseRollout(row));
  }
  return created;
}
