import path from 'node:path';
import { parseArgs } from 'node:util';
import { HealthSchema, SharedError } from '@homeostat/shared';
import { loadConfigFile } from './lib/config-file.ts';
import { REPO_ROOT, WORKERS } from './lib/workers.ts';

const USAGE = `usage: npm start -- [--config FILE] [--persist-to DIR] [--host HOST] [--port N] [--cron EXPR]
  --config      homeostat config file (default homeostat.config.json)
  --persist-to  local state directory (default .wrangler/state, shared with wrangler --local)
  --port        ingest port; triage and canary-monitor take the next two (0: any free ports)
  --cron        run cron-triggered Workers on EXPR instead of their configured schedule`;

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    console.error(USAGE);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const configFile = path.resolve(values.config ?? path.join(REPO_ROOT, 'homeostat.config.json'));
  try {
    const config = await loadConfigFile(configFile);
    console.log(
      `homeostat: config ok: ${config.extensions.length} extension(s), ${config.repositories.length} repo(s)`,
    );
  } catch (err) {
    if (err instanceof SharedError) {
      console.error(`homeostat: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const base = Number(values.port ?? 8787);
  if (!Number.isInteger(base) || base < 0 || base > 65533) {
    console.error(`homeostat: --port must be an integer port`);
    return 2;
  }
  const ports = Object.fromEntries(
    WORKERS.map((w, i) => [w.name, base === 0 ? 0 : base + i]),
  ) as Record<(typeof WORKERS)[number]['name'], number>;

  // Wrangler warns that the optional secrets are missing; each Worker's mode, printed below from
  // its /healthz, says what that means. WRANGLER_LOG is read when wrangler loads, hence the import.
  process.env.WRANGLER_LOG ??= 'error';
  const { startLocalStack } = await import('./lib/local-stack.ts');
  const stack = await startLocalStack({
    configFile,
    persistTo: path.resolve(values['persist-to'] ?? path.join(REPO_ROOT, '.wrangler/state')),
    host: values.host ?? '127.0.0.1',
    ports,
    ...(values.cron === undefined ? {} : { cronOverride: values.cron }),
    log: (line) => console.log(`homeostat: ${line}`),
  });
  for (const w of WORKERS) {
    const health = HealthSchema.safeParse(
      await fetch(`${stack.urls[w.name]}/healthz`).then((r) => r.json()),
    );
    const off = health.success
      ? Object.entries(health.data.capabilities)
          .filter(([, on]) => !on)
          .map(([name]) => name)
      : [];
    const mode = health.success ? health.data.mode : 'unhealthy';
    console.log(
      `homeostat: ${w.name.padEnd(15)} ${stack.urls[w.name]}  mode ${mode}${off.length > 0 ? ` (no credentials for: ${off.join(', ')})` : ''}`,
    );
  }
  // One machine-readable line for scripts and the end-to-end test.
  console.log(`homeostat: ready ${JSON.stringify(stack.urls)}`);

  // Miniflare's own exit hook answers SIGINT/SIGTERM/SIGHUP: it stops workerd and exits with
  // 128 + signal. Listeners prepended here only say so first; the process must not outlive it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.prependOnceListener(signal, () => console.log(`homeostat: ${signal}, stopping`));
  }
  await new Promise<never>(() => {});
  return 0;
}

function parse() {
  return parseArgs({
    options: {
      config: { type: 'string' },
      'persist-to': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      cron: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

process.exitCode = await main();
