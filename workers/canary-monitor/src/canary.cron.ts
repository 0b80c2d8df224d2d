import type { HomeostatConfig } from '@homeostat/shared';
import { type CanaryDeps, productionDeps } from './canary-deps.ts';
import { type DeliveryReport, deliverOutbox } from './notify/outbox.ts';
import { discoverRollouts } from './rollout/rollout-registry.ts';
import { listWorkingRollouts } from './rollout/rollout-store.ts';
import { type TickOutcome, tickRollout } from './rollout/rollout-tick.ts';

const WORKER = 'canary-monitor';

export interface TickReport {
  discovered: number;
  rollouts: TickOutcome[];
  errors: { rolloutId: number; error: string }[];
  delivery: DeliveryReport;
}

/**
 * One judging pass: observe newly seen versions, give every working rollout one look, then
 * deliver due notifications. A rollout that throws is reported and the others still run.
 */
export async function runCanaryTick(
  db: D1Database,
  config: HomeostatConfig,
  deps: CanaryDeps,
  tickAt: number,
): Promise<TickReport> {
  const discovered = await discoverRollouts(db, config, tickAt);
  const channels =
    deps.notifiers.slack === null ? (['github'] as const) : (['github', 'slack'] as const);
  const rollouts: TickOutcome[] = [];
  const errors: TickReport['errors'] = [];
  // A rollout of an extension missing from the config waits untouched until it is back.
  const configured = new Set(config.extensions.map((e) => e.id));
  const working = (await listWorkingRollouts(db)).filter((r) => configured.has(r.extension_id));
  for (const rollout of working) {
    try {
      rollouts.push(
        await tickRollout(
          { db, config, tickAt, storeFor: (e) => deps.storeFor(e), channels },
          rollout,
        ),
      );
    } catch (err) {
      // Logged by name and code only: messages may carry store response text.
      const code = err !== null && typeof err === 'object' && 'code' in err ? String(err.code) : '';
      const name = err instanceof Error ? err.name : typeof err;
      console.error('canary rollout tick failed', rollout.id, name, code);
      errors.push({ rolloutId: rollout.id, error: code === '' ? name : `${name}:${code}` });
    }
  }
  const delivery = await deliverOutbox(db, deps.notifiers, tickAt);
  return { discovered: discovered.length, rollouts, errors, delivery };
}

/**
 * The cron entry point. Cron triggers are at-least-once, so a run is claimed first by inserting
 * its (cron, scheduledTime) row; a second delivery of the same tick finds the row and does
 * nothing. The judging pass runs between the claim and the finish, on the tick's scheduled time.
 */
export function createCanaryCron(
  config: HomeostatConfig,
  depsFor: (env: Env) => CanaryDeps = (env) => productionDeps(env, config),
) {
  return async function scheduled(
    controller: ScheduledController,
    env: Env,
    _ctx: ExecutionContext,
  ): Promise<void> {
    const claim = await env.DB.prepare(
      `INSERT INTO cron_runs (worker, cron, scheduled_at, started_at)
       VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (worker, cron, scheduled_at) DO NOTHING
       RETURNING id`,
    )
      .bind(WORKER, controller.cron, controller.scheduledTime, Date.now())
      .first<{ id: number }>();
    if (claim === null) return;
    let outcome: 'ok' | 'error' = 'ok';
    let detail: string;
    try {
      const report = await runCanaryTick(env.DB, config, depsFor(env), controller.scheduledTime);
      if (report.errors.length > 0) outcome = 'error';
      detail = JSON.stringify({
        discovered: report.discovered,
        looked: report.rollouts.length,
        decisions: report.rollouts.map((r) => `${r.rolloutId}:${r.decision}:${r.state}`),
        errors: report.errors,
        delivery: report.delivery,
      });
    } catch (err) {
      outcome = 'error';
      detail = JSON.stringify({ error: err instanceof Error ? err.name : typeof err });
      console.error('canary tick failed', err instanceof Error ? err.name : typeof err);
    }
    await env.DB.prepare(
      'UPDATE cron_runs SET finished_at = ?1, outcome = ?2, detail = ?3 WHERE id = ?4',
    )
      .bind(Date.now(), outcome, detail, claim.id)
      .run();
  };
}
