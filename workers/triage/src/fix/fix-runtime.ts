import { type HomeostatConfig, parseHomeostatEnv } from '@homeostat/shared';
import { AttemptStore } from '../attempt-store.ts';
import { createGitHubGateway, type RuntimeDeps } from '../github/github-factory.ts';
import { createRepoReaderClient } from '../github/repo-reader-client.ts';
import { gateAttempt } from './ci/ci-gate.ts';
import { createFixWebhookHooks } from './ci/fix-webhook-hooks.ts';
import type { PullRequestStage } from './fix-attempt.ts';
import type { FixStages } from './fix-engine.ts';
import { bindFixStages } from './fix-stages.ts';
import { createGitDataGateway } from './pr/git-data-gateway.ts';
import { createPullRequestStage } from './pr/pull-request-stage.ts';
import { createR2FrameMapper } from './sourcemap/frame-mapper.ts';

/**
 * Binds the fix engine's stages to the real parts for one run (issue 9): the repository reader
 * (token if set, else anonymous reads), R2 source maps, localization, the pattern library, the
 * model fixer (keys by name from the Worker's bindings), the guardrails and their D1 record, and
 * the PR writer (live with a token, the dry-run outbox without). Tests and the fix bench build
 * the same stages with the emulators' `fetch`.
 */
export function createFixRuntime(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps & { random?: () => number },
  runId: string,
): { stages: FixStages; pr: PullRequestStage; gate: (attemptId: number) => Promise<void> } {
  const now = deps.now ?? Date.now;
  const reader = createRepoReaderClient(env, config, deps);
  // Bindings are read by name: a provider's `apiKeySecret` names the one that holds its key.
  const bindings = env as unknown as Record<string, unknown>;
  parseHomeostatEnv(env.HOMEOSTAT_ENV);
  const stages = bindFixStages({
    db: env.DB,
    reader,
    frameMapper: createR2FrameMapper(env.SOURCE_MAPS, env.DB),
    config,
    bindings,
    now,
    runId,
    ...(deps.fetch === undefined ? {} : { modelFetch: deps.fetch }),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
  const pr = createPullRequestStage({
    db: env.DB,
    git: createGitDataGateway(env, config, deps),
    now,
    config,
  });
  const gate = async (attemptId: number) => {
    const attempt = await new AttemptStore(env.DB, now).byId(attemptId);
    const repo = config.repositories.find((r) => r.slug.toLowerCase() === attempt?.repo);
    if (attempt === null || repo === undefined) return;
    const hooks = createFixWebhookHooks(
      env,
      config,
      deps,
      createGitHubGateway(env, config, deps),
      null,
    );
    await gateAttempt(
      {
        db: env.DB,
        repo,
        actions: hooks.actions,
        now,
        ...(hooks.onPatternOutcome === undefined
          ? {}
          : { onPatternOutcome: hooks.onPatternOutcome }),
      },
      attempt,
    );
  };
  return { stages, pr, gate };
}
