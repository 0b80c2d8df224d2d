import { FingerprintsRowSchema, type HomeostatConfig, parseHomeostatEnv } from '@homeostat/shared';
import { z } from 'zod';
import { resolveTarget } from '../../config-target.ts';
import { errorCode } from '../../errors.ts';
import type { RuntimeDeps } from '../../github/github-factory.ts';
import type { GitHubGateway } from '../../github/github-gateway.ts';
import { createRepoReaderClient } from '../../github/repo-reader-client.ts';
import type { FixWebhookHooks } from '../../webhook/webhook-handlers.ts';
import { FixRunStore } from '../fix-run-store.ts';
import { extractPattern } from '../patterns/pattern-extractor.ts';
import { recordPatternOutcome } from '../patterns/pattern-learner.ts';
import { createR2FrameMapper } from '../sourcemap/frame-mapper.ts';
import { firstAnnotations } from './check-annotations.ts';
import { learnFromHumanFix } from './human-fix-learning.ts';
import { createPrActions } from './pr-actions.ts';

/**
 * The fixer's webhook hooks (issue 10, items 3 and 5): the CI gate's GitHub actions, and learning.
 * A pattern's confidence moves by EMA on each outcome of a fix it made (CI red → failure, merged
 * → success); a fix a person merged is extracted as a repository-scoped pattern. Both happen only
 * when HOMEOSTAT_ENV is production (seeds: learning never in dev or test), which the learner and
 * extractor enforce themselves. Homeostat's own auto-merge is never learned from: nobody reviewed it.
 */

const StoredCandidateSchema = z.object({
  changes: z.array(z.object({ path: z.string(), before: z.string(), after: z.string() })),
});
const StoredContextSchema = z.object({
  culprit: z.object({ path: z.string(), line: z.number() }).nullable(),
});
const FingerprintTitleSchema = FingerprintsRowSchema.pick({ error_type: true, title: true });

function patternIdOf(candidateSource: string): string | null {
  return candidateSource.startsWith('pattern:') ? candidateSource.slice('pattern:'.length) : null;
}

export function createFixWebhookHooks(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps,
  issues: GitHubGateway,
  ourLogin: string | null,
): FixWebhookHooks {
  const now = deps.now ?? Date.now;
  const homeostatEnv = parseHomeostatEnv(env.HOMEOSTAT_ENV);
  const outcome = async (candidateSource: string, success: boolean, attemptId: number) => {
    const patternId = patternIdOf(candidateSource);
    if (patternId === null) return;
    await recordPatternOutcome(env.DB, {
      patternId,
      outcomeId: `attempt:${attemptId}`,
      success,
      env: homeostatEnv,
      now: now(),
    });
  };
  return {
    actions: createPrActions(env, config, deps, issues),
    ourLogin,
    async onHumanFixMerged(fix) {
      try {
        const { extension, repo } = resolveTarget(config, fix.extensionId);
        await learnFromHumanFix(
          {
            db: env.DB,
            client: createRepoReaderClient(env, config, deps),
            mapper: createR2FrameMapper(env.SOURCE_MAPS, env.DB),
            env: homeostatEnv,
            now,
          },
          {
            repo,
            extension,
            fingerprint: fix.fingerprint,
            mergeSha: fix.mergeSha,
            prUrl: fix.prUrl,
          },
        );
      } catch (err) {
        console.warn('fix: learning from a human fix failed', errorCode(err));
      }
    },
    annotations: (repo, checkRunId) =>
      firstAnnotations(createRepoReaderClient(env, config, deps), repo, checkRunId),
    onPatternOutcome: outcome,
    async onMerged(fix) {
      if (fix.candidateSource !== null) {
        await outcome(fix.candidateSource, true, fix.attempt.id);
      }
      if (!fix.mergedByHuman) return;
      const run = await new FixRunStore(env.DB, now).get(fix.attempt.id);
      const candidate = StoredCandidateSchema.safeParse(JSON.parse(run?.candidate ?? 'null'));
      const context = StoredContextSchema.safeParse(JSON.parse(run?.context ?? 'null'));
      const fp = FingerprintTitleSchema.safeParse(
        await env.DB.prepare(
          'SELECT error_type, title FROM fingerprints WHERE extension_id = ?1 AND fingerprint = ?2',
        )
          .bind(fix.attempt.extension_id, fix.attempt.fingerprint)
          .first(),
      );
      if (!candidate.success || !fp.success) return;
      try {
        await extractPattern(env.DB, {
          repo: fix.attempt.repo,
          prUrl: run?.pr_url ?? '',
          mergedBy: 'human',
          humanReviewed: true,
          changes: candidate.data.changes,
          errorType: fp.data.error_type,
          // The title is '<Type>: <parameterised first line>', already scrubbed by ingest.
          message: fp.data.title.slice(fp.data.error_type.length + 2),
          culprit:
            context.success && context.data.culprit !== null
              ? { ...context.data.culprit, column: null }
              : null,
          env: homeostatEnv,
          now: now(),
        });
      } catch (err) {
        // Learning is an extra: a failure to learn must not fail the merge's webhook.
        console.warn('fix: pattern extraction failed', errorCode(err));
      }
    },
  };
}
