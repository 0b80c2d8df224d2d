import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import { queryLocalD1, startStack } from '../support/local-stack-process.ts';

/**
 * `npm start` judges the ingest data in observe mode (issue 6, "Done when"): release_health rows
 * for two versions of the configured demo extension are written into the local D1, and the local
 * cron (fired every second here) discovers the newer version and records observe decisions.
 */
const EXTENSION = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const WINDOW = 300_000;

let state: string;
beforeAll(async () => {
  state = await mkdtemp(path.join(tmpdir(), 'homeostat-canary-e2e-'));
});
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

/**
 * Schema plus two hours of release health ending 15 minutes ago, in one wrangler call. A tenth
 * of the canary's sessions come from installs in their first day, which the judge leaves out.
 */
async function seed(now: number): Promise<void> {
  const schema = await readFile(path.join(REPO_ROOT, 'D1-schema.sql'), 'utf8');
  const last = Math.floor(now / WINDOW) * WINDOW - 3 * WINDOW;
  const rows: string[] = [];
  for (let i = 0; i < 24; i++) {
    const start = last - i * WINDOW;
    rows.push(
      `('${EXTENSION}', '1.0.0', ${start}, 2000, 20, 31, 0, 0)`,
      `('${EXTENSION}', '1.1.0', ${start}, 400, 4, 9, 40, 1)`,
    );
  }
  const file = path.join(state, 'seed.sql');
  await writeFile(
    file,
    `${schema}\nINSERT INTO release_health (extension_id, version, window_start, sessions, error_sessions, error_events, new_install_sessions, new_install_error_sessions) VALUES\n${rows.join(',\n')};\n`,
  );
  await promisify(execFile)(
    'node_modules/.bin/wrangler',
    ['d1', 'execute', 'homeostat', '--local', '--persist-to', state, '--file', file],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
}

const DecisionRow = z.object({
  decision: z.string(),
  mode: z.string(),
  reasons: z.string(),
  judge_input: z.string().nullable(),
  judge_output: z.string().nullable(),
});
const RolloutRow = z.object({
  version: z.string(),
  baseline_version: z.string().nullable(),
  source: z.string(),
  mode: z.string(),
  state: z.string(),
});

describe('npm start runs the canary judge in observe mode', () => {
  test('a newer version in release health is discovered and judged', async ({ expect }) => {
    await seed(Date.now());
    const stack = await startStack(['--port', '0', '--persist-to', state, '--cron', '* * * * * *']);
    try {
      const deadline = Date.now() + 20_000;
      while ((stack.output().match(/fired on canary-monitor/g) ?? []).length < 3) {
        if (Date.now() > deadline)
          throw new Error(`cron never fired three times:\n${stack.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await stack.interrupt();
    }
    const [rollout] = (
      await queryLocalD1(state, `SELECT * FROM canary_rollouts WHERE extension_id = '${EXTENSION}'`)
    ).map((r) => RolloutRow.parse(r));
    expect(rollout).toMatchObject({
      version: '1.1.0',
      baseline_version: '1.0.0',
      source: 'discovered',
      mode: 'observe',
      state: 'STAGE',
    });
    const decisions = (
      await queryLocalD1(
        state,
        'SELECT decision, mode, reasons, judge_input, judge_output FROM canary_decisions ORDER BY id',
      )
    ).map((d) => DecisionRow.parse(d));
    expect(decisions[0]).toMatchObject({ decision: 'preflight', mode: 'observe' });
    const judged = decisions.slice(1);
    expect(judged.length).toBeGreaterThanOrEqual(1);
    // The first look judged the seeded windows: held (the first stage soaks six hours).
    expect(judged[0]).toMatchObject({ decision: 'hold', mode: 'observe' });
    expect(JSON.parse(judged[0]?.reasons ?? '[]')).toContain('soaking');
    const input = z
      .object({
        windows: z.array(
          z.object({
            canarySessions: z.number(),
            canaryNewInstallSessions: z.number(),
            canaryNewInstallAffectedSessions: z.number(),
          }),
        ),
        fingerprints: z.array(z.unknown()),
      })
      .parse(JSON.parse(judged[0]?.judge_input ?? '{}'));
    const seeded = input.windows.filter((w) => w.canarySessions === 400);
    expect(seeded.length).toBeGreaterThan(10);
    expect(
      seeded.every(
        (w) => w.canaryNewInstallSessions === 40 && w.canaryNewInstallAffectedSessions === 1,
      ),
    ).toBe(true);
    expect(input.fingerprints).toEqual([]);
    // Judged on established installs: 360 sessions and 3 affected per window; new installs are
    // reported as a share.
    const output = z
      .object({
        state: z.object({
          rollout: z.object({ canarySessions: z.number(), canaryAffectedSessions: z.number() }),
        }),
        stats: z.object({ newInstallShare: z.number() }),
      })
      .parse(JSON.parse(judged[0]?.judge_output ?? '{}'));
    expect(output.state.rollout).toEqual({
      canarySessions: 360 * seeded.length,
      canaryAffectedSessions: 3 * seeded.length,
    });
    expect(output.stats.newInstallShare).toBe(0.1);
    // The start of the rollout went to triage over the TRIAGE service binding; triage, without
    // GitHub credentials, recorded it in its dry-run outbox.
    const notes = await queryLocalD1(
      state,
      'SELECT channel, status, attempts FROM canary_notifications',
    );
    expect(notes).toEqual([{ channel: 'github', status: 'recorded', attempts: 1 }]);
  });
});
