import type { HomeostatConfig } from '@homeostat/shared';
import type { FetchLike, GitHubClient } from '../github/github-client.ts';
import type { FixStages } from './fix-engine.ts';
import { checkCandidate } from './guardrails/guardrails.ts';
import { recordVerdict } from './guardrails/verdict-store.ts';
import type { FrameMapper } from './localize/frame-mapper.ts';
import { localize } from './localize/localize.ts';
import { proposeModelCandidates } from './model/model-fixer.ts';
import { matchPattern } from './patterns/pattern-matcher.ts';
import { openSnapshot, type RepoReaderCache } from './source/repo-reader.ts';

/** The parts the engine's stages are bound to; the Worker and the fix bench supply their own. */
export interface FixStageParts {
  db: D1Database;
  reader: GitHubClient;
  frameMapper: FrameMapper;
  config: HomeostatConfig;
  /** Model API keys are read from here by each provider's `apiKeySecret` name. */
  bindings: Record<string, unknown>;
  now: () => number;
  runId: string;
  modelFetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  readerCache?: RepoReaderCache;
}

/**
 * The fix engine's stages over real parts (issue 9): one binding for the Worker (fix-runtime.ts)
 * and the fix bench, so the bench measures exactly what production runs. No Worker `Env` here:
 * the bench supplies Miniflare's D1 and R2 from Node.
 */
export function bindFixStages(p: FixStageParts): FixStages {
  return {
    openSnapshot: (repo) =>
      openSnapshot(
        p.reader,
        { repo: repo.slug, branch: repo.defaultBranch },
        p.readerCache === undefined ? {} : { cache: p.readerCache },
      ),
    localize: async (input) => {
      const located = await localize({
        ...input,
        mapper: p.frameMapper,
        ...(input.report.sampleVersion === null ? {} : { version: input.report.sampleVersion }),
      });
      return located.ok
        ? { ok: true, context: located.context }
        : { ok: false, reason: located.reason };
    },
    pattern: async (ctx, repo) => {
      const matched = await matchPattern(p.db, ctx, {
        repo: repo.slug,
        threshold: repo.confidenceThreshold,
      });
      return matched.ok
        ? { ok: true, candidate: matched.candidate }
        : { ok: false, reason: matched.reason };
    },
    model: (ctx, opts) =>
      proposeModelCandidates(
        {
          db: p.db,
          env: p.bindings,
          config: p.config,
          now: p.now,
          runId: p.runId,
          ...(p.modelFetch === undefined ? {} : { fetch: p.modelFetch }),
          ...(p.sleep === undefined ? {} : { sleep: p.sleep }),
          ...(p.random === undefined ? {} : { random: p.random }),
        },
        ctx,
        opts,
      ),
    check: (candidate, ctx, repo) =>
      checkCandidate(candidate, ctx, repo, p.config.models.fixLimits),
    recordVerdict: async (candidate, ctx, verdict, attempt) => {
      await recordVerdict(p.db, {
        runId: p.runId,
        repo: ctx.repo,
        extensionId: ctx.extensionId,
        fingerprint: ctx.fingerprint,
        attempt,
        candidate,
        verdict,
        now: p.now(),
      });
    },
  };
}
