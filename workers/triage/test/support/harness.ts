import { env } from 'cloudflare:workers';
import type { HomeostatConfig } from '@homeostat/shared';
import { createTriageConsumer } from '../../src/triage.consumer.ts';
import { createClock, type TestClock } from './clock.ts';
import { API_BASE, REPO_A, REPO_B, testConfig } from './config.ts';
import { GITHUB_TOKEN, githubTestbed } from './github.ts';
import { type Delivery, deliver } from './queue.ts';

let harnesses = 0;

/**
 * The triage consumer wired to the GitHub emulator (behind OpenAPI validation) and a controlled
 * clock, in live mode (a token is set) or dry-run mode (none).
 */
export async function triageHarness(
  options: { mode?: 'live' | 'dry-run'; clock?: TestClock; config?: HomeostatConfig } = {},
) {
  const clock = options.clock ?? createClock();
  const bed = githubTestbed({ now: clock.now, baseUrl: API_BASE });
  // D1 is shared by the tests of a file while each test has a fresh emulator: distinct issue
  // number ranges keep them from colliding, as one real repository's numbers never do.
  harnesses++;
  await bed.emulator.addRepo(REPO_A, { firstIssueNumber: harnesses * 1000 + 1 });
  await bed.emulator.addRepo(REPO_B, { firstIssueNumber: harnesses * 1000 + 1 });
  const config = options.config ?? testConfig();
  const consumer = createTriageConsumer({
    config,
    fetch: bed.clientFetch,
    now: clock.now,
    sleep: clock.sleep,
  });
  const bindings: Env = {
    ...env,
    GITHUB_TOKEN: options.mode === 'dry-run' ? '' : GITHUB_TOKEN,
  };
  return {
    ...bed,
    clock,
    config,
    bindings,
    consumer,
    deliver: (messages: Delivery[]) => deliver(consumer, bindings, 'homeostat-triage', messages),
  };
}

let n = 0;
/** Queue message ids are unique per delivery of a new message. */
export function messageId(prefix = 'm'): string {
  n++;
  return `${prefix}-${n}-${Math.random().toString(36).slice(2, 8)}`;
}
