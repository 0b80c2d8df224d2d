const WORKER = 'canary-monitor';

/**
 * The cron entry point. Cron triggers are at-least-once, so a run is claimed first by inserting
 * its (cron, scheduledTime) row; a second delivery of the same tick finds the row and does
 * nothing. The rollout judge (issue 6) runs between the claim and the finish.
 */
export async function runCanaryCron(
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
  await env.DB.prepare("UPDATE cron_runs SET finished_at = ?1, outcome = 'ok' WHERE id = ?2")
    .bind(Date.now(), claim.id)
    .run();
}
