import { Cron } from 'croner';

export interface CronTick {
  cron: string;
  scheduledTime: Date;
}

/**
 * Fires `onTick` on every match of a Workers cron expression, as Cloudflare's cron triggers do in
 * production; Miniflare only runs scheduled handlers when asked. Ticks never overlap: a tick that
 * comes while the previous one still runs is skipped, like croner's `protect` option.
 */
export function scheduleCron(
  expression: string,
  onTick: (tick: CronTick) => Promise<void>,
): { stop(): void } {
  // Workers crons are UTC (developers.cloudflare.com/workers/configuration/cron-triggers).
  const job = new Cron(expression, { timezone: 'UTC', protect: true }, async (self: Cron) => {
    const scheduledTime = self.currentRun() ?? new Date();
    try {
      await onTick({ cron: expression, scheduledTime });
    } catch (err) {
      console.error(`cron ${expression} failed:`, err instanceof Error ? err.message : err);
    }
  });
  return { stop: () => job.stop() };
}
