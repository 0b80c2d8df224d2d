import type { RepositoryConfig, Surface } from '@homeostat/shared';

/**
 * The policy engine (issue 5, item 3): classes an error safe | needs-validation | critical |
 * unknown. The default rules are the seeds' (seed 000, "Policy Engine"): critical patterns are
 * checked first and win; a surface listed in `neverSafeSurfaces` (the background service worker
 * by default, where a bad fix takes the whole extension down) caps the class at
 * needs-validation; then safe, then needs-validation patterns; anything else is unknown.
 * Critical and unknown go to a human and are never fixed automatically. Repositories add rules
 * or disable default ones in `repositories[].policy`.
 */

export type ChangeClass = 'safe' | 'needs-validation' | 'critical' | 'unknown';

export interface PolicyRule {
  id: string;
  class: Exclude<ChangeClass, 'unknown'>;
  pattern: RegExp;
}

/** Seed 000's patterns; ids are stable so a repository can disable one by name. */
export const DEFAULT_RULES: readonly PolicyRule[] = [
  // Critical: authentication, payment, data integrity, security. `auth` is the seed's pattern,
  // narrowed so that "author" does not make an error critical.
  {
    id: 'auth',
    class: 'critical',
    pattern: /\b(?:o?auth(?!or)\w*|log[-_ ]?in|passwords?|credentials?)\b/i,
  },
  { id: 'payment', class: 'critical', pattern: /\b(?:payments?|stripe|billing)\b/i },
  {
    id: 'data-corruption',
    class: 'critical',
    pattern: /\b(?:user\b.*\bdata\b.*\bcorrupt\w*|data[-_ ]?(?:loss|corrupt\w*))/i,
  },
  { id: 'security', class: 'critical', pattern: /\b(?:XSS|injection|CSRF)\b/i },
  // Safe (seed): mechanical fixes with a narrow blast radius.
  // The seed matched V8's old wording ("…property 'x' of undefined"); today's is "Cannot read
  // properties of undefined (reading 'x')", so both orders count.
  {
    id: 'undefined-property',
    class: 'safe',
    pattern: /TypeError:.*(?:undefined.*propert|propert.*\b(?:undefined|null)\b)/i,
  },
  { id: 'not-defined', class: 'safe', pattern: /ReferenceError:.*is not defined/i },
  { id: 'unhandled-rejection', class: 'safe', pattern: /Uncaught.*in promise/i },
  { id: 'logging', class: 'safe', pattern: /console\.(?:log|warn|error)/i },
  // Needs validation (seed): network, extension APIs, UI.
  { id: 'fetch-failed', class: 'needs-validation', pattern: /fetch.*failed|failed to fetch/i },
  {
    id: 'chrome-storage',
    class: 'needs-validation',
    pattern: /chrome\.storage|QUOTA_BYTES|quota exceeded/i,
  },
  {
    id: 'chrome-runtime',
    class: 'needs-validation',
    pattern: /chrome\.runtime|Receiving end does not exist|Extension context invalidated/i,
  },
  { id: 'ui-rendering', class: 'needs-validation', pattern: /UI.*render/i },
  { id: 'click-handler', class: 'needs-validation', pattern: /onClick.*handler/i },
];

export interface PolicyInput {
  errorType: string;
  message: string;
  culprit: string | null;
  stack: string | null;
  /** Repository paths of the in-app frames, so e.g. `src/auth/…` counts as critical. */
  paths: readonly string[];
  surfaces: readonly Surface[];
}

export interface PolicyDecision {
  class: ChangeClass;
  /** Ids of the rules that decided, plus `surface:<s>` when a surface capped the class. */
  reasons: string[];
  /** Whether automated fixing may be attempted at all (still gated by the attempt store). */
  autoFixable: boolean;
}

export function rulesFor(repo: RepositoryConfig): PolicyRule[] {
  const disabled = new Set(repo.policy.disable);
  const custom = repo.policy.rules.map((r) => ({
    id: r.id,
    class: r.class,
    pattern: new RegExp(r.pattern, 'i'),
  }));
  return [...custom, ...DEFAULT_RULES.filter((r) => !disabled.has(r.id))];
}

// Bounds the text the patterns run over: inputs are attacker-controlled (ai-autofix.md §8 T1).
const MAX_HAYSTACK = 16 * 1024;

export function classify(input: PolicyInput, repo: RepositoryConfig): PolicyDecision {
  const rules = rulesFor(repo);
  const haystack = [
    `${input.errorType}: ${input.message}`,
    input.culprit ?? '',
    input.stack ?? '',
    ...input.paths,
  ]
    .join('\n')
    .slice(0, MAX_HAYSTACK);
  const matching = (cls: PolicyRule['class']) =>
    rules.filter((r) => r.class === cls && r.pattern.test(haystack)).map((r) => r.id);

  const critical = matching('critical');
  if (critical.length > 0) return { class: 'critical', reasons: critical, autoFixable: false };

  const safe = matching('safe');
  const validation = matching('needs-validation');
  const capping = input.surfaces.filter((s) => repo.policy.neverSafeSurfaces.includes(s));
  if (safe.length > 0 && capping.length === 0) {
    return { class: 'safe', reasons: safe, autoFixable: true };
  }
  if (safe.length > 0 || validation.length > 0) {
    return {
      class: 'needs-validation',
      reasons: [
        ...safe,
        ...validation,
        ...(safe.length > 0 ? capping.map((s) => `surface:${s}`) : []),
      ],
      autoFixable: true,
    };
  }
  return { class: 'unknown', reasons: [], autoFixable: false };
}
