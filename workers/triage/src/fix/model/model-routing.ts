import type { HomeostatConfig } from '@homeostat/shared';
import type { ModelProvider } from './model-client.ts';

/**
 * Which providers an attempt may use, in order (issue 9, item 5; docs/architecture.md#models):
 *
 *   1. privacy: a private repository's code goes only to providers marked `privateCode`; a
 *      repository the config does not list, or lists without a visibility, counts as private;
 *   2. credentials: a provider whose API key secret is unset is skipped (no model key, no model
 *      call: docs/architecture.md#modes);
 *   3. tier: attempt 1 uses the lowest tier present, each retry the next one up, staying at the
 *      top once there is none higher — a stronger model for a fix the cheap one got wrong;
 *   4. price: within the tier, cheapest worst case first for this prompt (config order breaks
 *      ties); the next provider is the fallback when one fails.
 */

export interface RoutedProvider {
  provider: ModelProvider;
  apiKey: string;
  /** Worst-case cost of one call asking for `n` answers to this prompt. */
  worstUsd: (n: number) => number;
}

export type Routing =
  | { ok: true; tier: number; providers: RoutedProvider[] }
  | { ok: false; reason: 'no_provider' | 'no_eligible_provider' };

export function tokenCostUsd(
  provider: ModelProvider,
  inputTokens: number,
  outputTokens: number,
): number {
  return (
    (inputTokens * provider.pricing.inputUsdPerMTok +
      outputTokens * provider.pricing.outputUsdPerMTok) /
    1_000_000
  );
}

/** Every prompt token at the input price plus every answer at its `maxOutputTokens`. */
export function worstCaseUsd(provider: ModelProvider, promptTokens: number, n: number): number {
  return tokenCostUsd(provider, promptTokens, provider.maxOutputTokens * n);
}

export function isPrivateRepo(config: HomeostatConfig, repo: string): boolean {
  const entry = config.repositories.find((r) => r.slug.toLowerCase() === repo.toLowerCase());
  return entry?.visibility !== 'public';
}

export function routeProviders(input: {
  config: HomeostatConfig;
  repo: string;
  env: Record<string, unknown>;
  attempt: number;
  promptTokens: number;
}): Routing {
  const { config, env, promptTokens } = input;
  const all = config.models.providers;
  if (all.length === 0) return { ok: false, reason: 'no_provider' };
  const privateRepo = isPrivateRepo(config, input.repo);
  const eligible = all.filter((p) => !privateRepo || p.privateCode);
  if (eligible.length === 0) return { ok: false, reason: 'no_eligible_provider' };
  const keyed = eligible.flatMap((provider) => {
    const key = env[provider.apiKeySecret];
    return typeof key === 'string' && key.trim() !== '' ? [{ provider, apiKey: key.trim() }] : [];
  });
  if (keyed.length === 0) return { ok: false, reason: 'no_provider' };
  const tiers = [...new Set(keyed.map((k) => k.provider.tier))].sort((a, b) => a - b);
  const step = Math.max(0, Math.trunc(input.attempt) - 1);
  const tier = tiers[Math.min(step, tiers.length - 1)] ?? tiers[0] ?? 1;
  const n = config.models.candidates;
  const providers = keyed
    .filter((k) => k.provider.tier === tier)
    .map((k) => ({
      ...k,
      worstUsd: (asked: number) => worstCaseUsd(k.provider, promptTokens, asked),
    }))
    // Array.prototype.sort is stable: equal prices keep the config's order.
    .sort((a, b) => a.worstUsd(n) - b.worstUsd(n));
  return { ok: true, tier, providers };
}
