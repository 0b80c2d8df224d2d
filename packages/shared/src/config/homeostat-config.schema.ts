import { z } from 'zod';
import { SURFACES, SurfaceSchema } from '../wire/ingest.schema.ts';
import { EndpointUrlSchema } from './endpoint-url.schema.ts';

/**
 * The one configuration file (`homeostat.config.json`). Every object is strict: an unknown key is
 * a typo or a misplaced secret, and either must fail loudly rather than be ignored. Secrets are
 * never here; where a secret is needed the config names the Wrangler secret that holds it.
 * Defaults are the seeds' parameters (shared/seeds/README.md).
 */

/** Chrome extension ids are 32 letters a–p (the hex digits of a key hash shifted to a–p). */
export const ExtensionIdSchema = z.string().regex(/^[a-p]{32}$/, 'must be 32 letters a-p');

/**
 * Public ingest keys ship inside the extension: identifiers, not secrets
 * (docs/architecture.md#trust-boundaries).
 */
export const IngestKeySchema = z
  .string()
  .regex(
    /^hs_pub_[A-Za-z0-9_]{16,64}$/,
    'must look like hs_pub_ followed by 16-64 letters, digits or _',
  );

export const RepoSlugSchema = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'must be owner/name');

const SecretNameSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be the NAME of a Wrangler secret, not its value');

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and -');

const SourceRootSchema = z.strictObject({
  from: z
    .string()
    .startsWith('/', 'must start with /')
    .max(256)
    .describe('Path inside the extension package, as in `chrome-extension://<id>/<from>…`.'),
  to: z
    .string()
    .max(256)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: 'must be a relative path inside the repository',
    })
    .describe('Path in the repository that the packaged files under `from` were built from.'),
});

/**
 * Per-repository additions to triage's policy engine (issue 5, item 3). The seed rules are the
 * default set; `rules` add patterns (matched case-insensitively against the error type, message,
 * culprit and stack), `disable` switches default rules off by id, and `neverSafeSurfaces` names
 * surfaces whose errors are never classed "safe" (the background service worker by default).
 */
const PolicyRuleSchema = z.strictObject({
  id: slug.describe('Names the rule in decisions and issue bodies.'),
  class: z
    .enum(['safe', 'needs-validation', 'critical'])
    .describe('The class a problem gets when the pattern matches.'),
  pattern: z
    .string()
    .min(1)
    .max(500)
    .refine(
      (p) => {
        try {
          new RegExp(p, 'i');
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a valid regular expression' },
    )
    .describe(
      'Regular expression, matched case-insensitively against the error type, message, culprit and stack.',
    ),
});

const RepositoryPolicySchema = z
  .strictObject({
    rules: z
      .array(PolicyRuleSchema)
      .max(50)
      .default([])
      .describe('Rules added to the built-in ones.'),
    disable: z.array(slug).max(50).default([]).describe('Ids of built-in rules to switch off.'),
    neverSafeSurfaces: z
      .array(SurfaceSchema)
      .max(SURFACES.length)
      .default(['background'])
      .describe('Surfaces whose errors are never classed `safe`.'),
  })
  .prefault({})
  .describe(
    "Additions to triage's policy engine, which classes each problem safe, needs-validation, critical or unknown; only safe and needs-validation problems get fix attempts.",
  );

export const RepositoryConfigSchema = z.strictObject({
  slug: RepoSlugSchema.describe('The GitHub repository, `owner/name`.'),
  defaultBranch: z
    .string()
    .min(1)
    .max(255)
    .default('main')
    .describe('Branch fixes are based on and merged into; source is read at its head.'),
  labels: z
    .strictObject({
      base: z
        .string()
        .min(1)
        .max(50)
        .default('homeostat')
        .describe('Label on every issue and PR Homeostat opens.'),
      optOut: z
        .string()
        .min(1)
        .max(50)
        .default('do-not-fix')
        .describe('A person puts this label on an issue to stop fix attempts for it.'),
      humanReview: z
        .string()
        .min(1)
        .max(50)
        .default('needs-human-review')
        .describe('Label on issues that will not be fixed automatically.'),
      extra: z
        .array(z.string().min(1).max(50))
        .max(20)
        .default([])
        .describe('More labels for every Homeostat issue.'),
    })
    .prefault({})
    .describe('Labels Homeostat puts on, and reads from, its issues.'),
  paths: z
    .strictObject({
      include: z
        .array(z.string().min(1).max(256))
        .min(1)
        .default(['**'])
        .describe("Globs of repository paths that count as the extension's own code."),
      exclude: z
        .array(z.string().min(1).max(256))
        .default([])
        .describe('Globs taken out of `include` (vendored and minified code, say).'),
    })
    .prefault({})
    .describe(
      'Which files are in-app: frames in them are marked in issues and localized, and only they (and their tests) may be changed by a fix.',
    ),
  maxPrsPerRun: z
    .int()
    .min(0)
    .max(20)
    .default(2)
    .describe('Fix PRs opened in one fix run (one batch of the fix queue); 0 opens none.'),
  maxOpenPrs: z
    .int()
    .min(0)
    .max(50)
    .default(5)
    .describe("Homeostat's open fix PRs in the repository at once."),
  maxAttempts: z
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe('Fix attempts per problem, 24 h · 2ⁿ apart; after the last, it needs a person.'),
  issueUpdateMinutes: z
    .int()
    .min(1)
    .max(10_080)
    .default(60)
    .describe("Least time between two updates of a problem's issue body (issue 5, item 2)."),
  limits: z
    .strictObject({
      // So the public ingest key cannot flood the repository (issue 11, item 2).
      newIssuesPerDay: z
        .int()
        .min(1)
        .max(1_000)
        .default(10)
        .describe(
          "New GitHub issues per UTC day; the rest of the day's new problems are listed in one digest issue.",
        ),
    })
    .prefault({})
    .describe('Caps on what Homeostat writes to the repository.'),
  policy: RepositoryPolicySchema,
  confidenceThreshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.8)
    .describe('Least confidence of a learned or built-in fix pattern before it is used.'),
  requiredChecks: z
    .array(z.string().min(1).max(200))
    .max(50)
    .default([])
    .describe(
      "CI check names that must be green on a fix PR's head commit before it is marked ready or merged.",
    ),
  // docs/architecture.md#models: unknown is treated as private.
  visibility: z
    .enum(['private', 'public'])
    .default('private')
    .describe(
      'Who may read the code. Private code is sent only to model providers marked `privateCode`.',
    ),
  autoMerge: z
    .boolean()
    .default(false)
    .describe(
      'Merge a safe-class fix once its required checks are green, pinned to the head SHA (issue 10).',
    ),
  reviewers: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'must be a GitHub login'))
    .max(15)
    .default([])
    .describe('GitHub logins asked to review a needs-validation fix once its checks are green.'),
  sourceRoots: z
    .array(SourceRootSchema)
    .max(20)
    .default([{ from: '/', to: '' }])
    .describe(
      'Where packaged files come from in the repository, when no source map says so: the longest matching `from` wins.',
    ),
});

const ExtensionLimitsSchema = z
  .strictObject({
    eventsPerDay: z
      .int()
      .positive()
      .default(100_000)
      .describe('Events ingest accepts per UTC day for the extension; the rest answer 429.'),
    perInstallPerMinute: z
      .int()
      .positive()
      .default(30)
      .describe('Events one install may send per minute.'),
    perExtensionPerMinute: z
      .int()
      .positive()
      .default(3_000)
      .describe('Events all installs together may send per minute.'),
    // So that one install cannot trigger model spend.
    minInstalls: z
      .int()
      .min(1)
      .default(2)
      .describe('Distinct installs that must see a problem before it is new (filed).'),
    // Install ids are the client's to choose, its network is not (issue 11, item 2).
    minNetworks: z
      .int()
      .min(1)
      .default(2)
      .describe(
        'Distinct client networks (/24 or /48 prefixes, hashed) that must see a problem before it is new. Set 1 where every client shares one network, e.g. tests on one machine.',
      ),
  })
  .prefault({})
  .describe('Rate limits and thresholds of ingest.');

export const ExtensionConfigSchema = z.strictObject({
  id: ExtensionIdSchema.describe(
    "The extension's Chrome Web Store id (32 letters a–p); problems are filed under it.",
  ),
  name: slug.describe('Short name, used in logs, the console and the release CLI.'),
  ingestKeys: z
    .array(IngestKeySchema)
    .min(1)
    .max(10)
    .describe(
      'Public ingest keys (`hs_pub_…`) the SDK sends; each names this extension. Identifiers, not secrets: they ship inside the extension. Several allow rotation.',
    ),
  allowedOrigins: z
    .array(ExtensionIdSchema)
    .max(20)
    .optional()
    .describe(
      'Extension ids allowed in `Origin: chrome-extension://<id>`; other origins answer 403. Filters honest browsers only: rate limits are the defence.',
    ),
  // Digits only: Sentry's SDKs reject other DSNs.
  sentryProjectId: z
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe(
      "Project id of the extension's Sentry DSN (`https://<ingest key>@<ingest host>/<id>`) for Sentry's SDKs posting to ingest (issue 13). Set, ingest refuses any other id; unset, any id does.",
    ),
  repo: RepoSlugSchema.describe(
    "The repository (an entry of `repositories`) that gets this extension's issues and fixes.",
  ),
  limits: ExtensionLimitsSchema,
  store: z
    .strictObject({
      publisherId: z.string().min(1).max(128).describe('Chrome Web Store publisher id.'),
      itemId: ExtensionIdSchema.optional().describe(
        'The store item id; defaults to the extension id.',
      ),
    })
    .optional()
    .describe(
      'The Chrome Web Store listing canary-monitor rolls out; without it, rollouts are observed only.',
    ),
});

export const ModelProviderSchema = z.strictObject({
  name: slug.describe('Names the provider in cost records and run records.'),
  baseUrl: EndpointUrlSchema.describe(
    'Base URL of any OpenAI-compatible chat completions API, e.g. `https://api.openai.com/v1`.',
  ),
  model: z.string().min(1).max(200).describe('The model name the provider expects.'),
  apiKeySecret: SecretNameSchema.default('MODEL_API_KEY').describe(
    "Name of the triage Worker's secret that holds this provider's API key.",
  ),
  pricing: z
    .strictObject({
      inputUsdPerMTok: z.number().min(0).describe('US dollars per million input tokens.'),
      outputUsdPerMTok: z.number().min(0).describe('US dollars per million output tokens.'),
    })
    .describe("The provider's list price, for the cost of each call and the budgets."),
  maxOutputTokens: z
    .int()
    .positive()
    .max(200_000)
    .default(4_096)
    .describe('Largest answer asked for per call.'),
  tier: z
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe(
      'Tier 1 is tried first; a retry of a failed fix moves to the next tier up (issue 9, item 5).',
    ),
  privateCode: z
    .boolean()
    .default(false)
    .describe("Whether the provider's terms allow sending private repositories' code to it."),
  timeoutMs: z
    .int()
    .min(1_000)
    .max(600_000)
    .default(60_000)
    .describe('Deadline of one call, answer body included.'),
});

const ModelsSchema = z
  .strictObject({
    providers: z
      .array(ModelProviderSchema)
      .max(10)
      .default([])
      .describe('Model providers, cheapest tier first. None: only pattern fixes are proposed.'),
    // Voted over normalised diffs, as Agentless does.
    candidates: z
      .int()
      .min(1)
      .max(8)
      .default(3)
      .describe('Candidate fixes asked of the model per attempt (`n`).'),
    budget: z
      .strictObject({
        perRunUsd: z
          .number()
          .min(0)
          .default(1)
          .describe('Model spend allowed in one fix run; checked before every call.'),
        perDayUsd: z
          .number()
          .min(0)
          .default(10)
          .describe('Model spend allowed per UTC day; once spent, no fix attempt is queued.'),
      })
      .prefault({})
      .describe("Spending limits in US dollars, from each call's reported tokens × price."),
    fixLimits: z
      .strictObject({
        maxDiffLines: z
          .int()
          .positive()
          .default(500)
          .describe('Largest diff a fix may have; bigger candidates are rejected.'),
        maxFiles: z.int().positive().default(10).describe('Most files a fix may change.'),
      })
      .prefault({})
      .describe('Guardrails on the size of any fix, pattern or model.'),
  })
  .prefault({})
  .describe('Model fixes: providers, budgets and fix size limits.');

const CanarySchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'observe'])
      .default('auto')
      .describe(
        '`auto`: act on the store when credentials exist. `observe`: decide and record but never call the store, even with credentials.',
      ),
    storeApiBaseUrl: EndpointUrlSchema.default('https://chromewebstore.googleapis.com').describe(
      'Chrome Web Store API base URL (an emulator in tests).',
    ),
    oauthTokenUrl: EndpointUrlSchema.default('https://oauth2.googleapis.com/token').describe(
      "Google's OAuth token endpoint, for the store credentials.",
    ),
    stages: z
      .array(z.int().gt(0).max(100))
      .min(1)
      .default([5, 10, 25, 50, 100])
      .refine((s) => s.every((p, i) => i === 0 || p > (s[i - 1] ?? 0)), {
        message: 'must be strictly increasing',
      })
      .refine((s) => s.at(-1) === 100, { message: 'must end at 100' })
      .describe('Percentages of users a rollout is published to, stage by stage; ends at 100.'),
    // Defaults from research/canary.md §4.3: Chrome checks for updates "every few hours".
    firstStageMinSoakMinutes: z
      .int()
      .min(0)
      .default(360)
      .describe('Least time the first stage runs before it may be promoted.'),
    minSoakMinutes: z
      .int()
      .min(0)
      .default(240)
      .describe('Least time every later stage runs before it may be promoted.'),
    minSessionsPerStage: z
      .int()
      .min(0)
      .default(2_000)
      .describe('Canary sessions a stage needs before it may be promoted.'),
    maxStageHours: z
      .number()
      .positive()
      .default(72)
      .describe('A stage undecided after this long is INCONCLUSIVE.'),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe('False-halt rate of the halt test: it halts when its e-value reaches 1/alpha.'),
    beta: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.05)
      .describe(
        'Error rate of the promote test: a stage promotes when its e-value reaches 1/beta.',
      ),
    thetaBad: z
      .number()
      .gt(1)
      .default(1.5)
      .describe(
        'Error-rate ratio (new version / baseline) the promote test rules out: evidence that the release is not this much worse.',
      ),
    theta0: z.number().min(1).default(1).describe('Tolerated rate ratio of the halt test (θ₀).'),
    thetaGrid: z
      .array(z.number().gt(1))
      .min(1)
      .max(10)
      .default([1.25, 1.5, 2, 3, 5])
      .describe(
        'Alternatives of the halting mixture e-value, equally weighted; each must exceed `theta0`.',
      ),
    minCanaryAffected: z
      .int()
      .min(0)
      .default(5)
      .describe('Canary sessions with an error needed before the halt test may halt.'),
    criticalRate: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe(
        'Share of canary sessions with an error (99% lower bound) that halts at once, whatever the baseline.',
      ),
    criticalMinSessions: z
      .int()
      .min(1)
      .default(30)
      .describe('Canary sessions needed before `criticalRate` is applied.'),
    maxDataGapMinutes: z
      .int()
      .min(5)
      .default(30)
      .describe(
        'Release health missing this long raises an alert; promotion also needs this much unbroken data.',
      ),
    // Ingest flushes its aggregates in batches.
    windowSettleMinutes: z
      .int()
      .min(0)
      .max(60)
      .default(10)
      .describe('5-minute windows younger than this are not judged yet.'),
    rollback: z
      .enum(['never', 'critical', 'always'])
      .default('critical')
      .describe(
        'When a halt rolls back to the previous version instead of freezing the rollout: never, only on a critical signal, or always.',
      ),
    onInconclusive: z
      .enum(['hold', 'rollback'])
      .default('hold')
      .describe('What an INCONCLUSIVE rollout does: hold where it is, or roll back.'),
    discover: z
      .boolean()
      .default(true)
      .describe(
        'Judge (observe only) a new version that appears in release health without a registration.',
      ),
  })
  .refine((c) => c.thetaGrid.every((t) => t > c.theta0), {
    message: 'every thetaGrid value must exceed theta0',
    path: ['thetaGrid'],
  })
  .prefault({})
  .describe(
    'How canary-monitor judges staged Chrome Web Store rollouts: stages, soak times, and the sequential tests that promote, halt or roll back.',
  );

/**
 * The triage Worker's web console (issue 12, item 1). Open on a loopback host outside production;
 * deployed, it needs Cloudflare Access (the JWT in `Cf-Access-Jwt-Assertion`, checked against the
 * team's published keys) or an admin-token login. Neither value is a secret: the team domain and
 * the Access application's audience tag are both visible to anyone who reaches the login page.
 */
const ConsoleSchema = z
  .strictObject({
    access: z
      .strictObject({
        teamDomain: z
          .string()
          .regex(/^[a-z0-9-]+\.cloudflareaccess\.com$/, 'must be <team>.cloudflareaccess.com')
          .describe('e.g. `myteam.cloudflareaccess.com` (Zero Trust > Settings > Custom pages).'),
        audience: z
          .string()
          .regex(/^[a-f0-9]{64}$/, 'must be the 64-hex AUD tag')
          .describe("The Access application's Application Audience (AUD) tag."),
      })
      .optional()
      .describe(
        "Cloudflare Access in front of the console: its JWT is verified against the team's keys. Without it, a deployed console needs an ADMIN_TOKEN login.",
      ),
  })
  .prefault({})
  .describe(
    "The triage Worker's web console: open on a loopback host outside production; deployed, behind Cloudflare Access or an admin-token login.",
  );

/** Sentry's organization and project slugs (or numeric ids), as in its URLs. */
const SentrySlugSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be a Sentry organization or project slug');

/**
 * A Sentry project whose unresolved issues triage's cron imports (issue 13, item 2): their latest
 * events go through ingest's one pipeline as events of `extension`. The token (scope `event:read`)
 * lives in the named Wrangler secret, never here.
 */
export const SentrySourceSchema = z.strictObject({
  org: SentrySlugSchema.describe('Sentry organization slug.'),
  project: SentrySlugSchema.describe('Sentry project slug.'),
  baseUrl: EndpointUrlSchema.default('https://sentry.io').describe(
    'sentry.io, a regional host such as `https://de.sentry.io`, or a self-hosted Sentry.',
  ),
  tokenSecret: SecretNameSchema.default('SENTRY_AUTH_TOKEN').describe(
    "Name of the triage Worker's secret holding a Sentry token with scope `event:read`.",
  ),
  extension: ExtensionIdSchema.describe(
    'The configured extension (its id) whose problems these are.',
  ),
  environment: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'Import only events of this Sentry environment (e.g. `production`); all when absent.',
    ),
  maxIssuesPerRun: z
    .int()
    .min(1)
    .max(500)
    .default(50)
    .describe('Issues whose latest event is fetched per cron tick: each is one API request.'),
});
export type SentrySourceConfig = z.output<typeof SentrySourceSchema>;

const SourcesSchema = z
  .strictObject({
    sentry: z
      .array(SentrySourceSchema)
      .max(20)
      .default([])
      .describe(
        "Sentry projects whose unresolved issues triage's cron imports through ingest's pipeline.",
      ),
  })
  .prefault({})
  .describe('Other places problems are imported from (issue 13).');

export const HomeostatConfigSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe("This file's JSON Schema, for editors; ignored by Homeostat."),
    version: z.literal(1).describe('Version of this file format.'),
    github: z
      .strictObject({
        apiBaseUrl: EndpointUrlSchema.default('https://api.github.com').describe(
          'GitHub REST API base URL; GitHub Enterprise Server is `https://<host>/api/v3`.',
        ),
        app: z
          .strictObject({
            appId: z
              .int()
              .positive()
              .describe('The GitHub App\'s id (its settings page, "App ID").'),
            installationId: z
              .int()
              .positive()
              .describe(
                "The id of the App's installation on the repositories' account (the number at the end of the installation's settings URL).",
              ),
          })
          .optional()
          .describe(
            'Act as this GitHub App installation: triage signs a JWT with the `GITHUB_APP_PRIVATE_KEY` secret and mints hour-long installation tokens itself. Without it (or without the key) triage uses the `GITHUB_TOKEN` secret.',
          ),
      })
      .prefault({})
      .describe(
        'Where triage reaches GitHub and as whom: a GitHub App installation (`app` with the `GITHUB_APP_PRIVATE_KEY` secret) or the `GITHUB_TOKEN` secret.',
      ),
    extensions: z
      .array(ExtensionConfigSchema)
      .min(1)
      .max(100)
      .describe('The extensions that report to ingest.'),
    repositories: z
      .array(RepositoryConfigSchema)
      .min(1)
      .max(100)
      .describe("The GitHub repositories that get the extensions' issues and fixes."),
    models: ModelsSchema,
    canary: CanarySchema,
    console: ConsoleSchema,
    sources: SourcesSchema,
  })
  .superRefine((config, ctx) => {
    const repos = new Set(config.repositories.map((r) => r.slug.toLowerCase()));
    const seenRepos = new Set<string>();
    config.repositories.forEach((r, i) => {
      const key = r.slug.toLowerCase();
      if (seenRepos.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['repositories', i, 'slug'],
          message: 'duplicate repository',
        });
      }
      seenRepos.add(key);
    });
    const ids = new Set<string>();
    const names = new Set<string>();
    const keys = new Set<string>();
    config.extensions.forEach((ext, i) => {
      if (ids.has(ext.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['extensions', i, 'id'],
          message: 'duplicate extension id',
        });
      }
      ids.add(ext.id);
      if (names.has(ext.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['extensions', i, 'name'],
          message: 'duplicate extension name',
        });
      }
      names.add(ext.name);
      ext.ingestKeys.forEach((key, k) => {
        // A key must name exactly one extension, or events would be filed under the wrong one.
        if (keys.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['extensions', i, 'ingestKeys', k],
            message: 'ingest key is already used',
          });
        }
        keys.add(key);
      });
      if (!repos.has(ext.repo.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['extensions', i, 'repo'],
          message: 'names no entry of repositories',
        });
      }
    });
    const sentrySources = new Set<string>();
    config.sources.sentry.forEach((source, i) => {
      if (!ids.has(source.extension)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', 'sentry', i, 'extension'],
          message: 'names no entry of extensions',
        });
      }
      const key = `${new URL(source.baseUrl).origin}|${source.org}|${source.project}`.toLowerCase();
      if (sentrySources.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', 'sentry', i, 'project'],
          message: 'duplicate Sentry source',
        });
      }
      sentrySources.add(key);
    });
    const providers = new Set<string>();
    config.models.providers.forEach((p, i) => {
      if (providers.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', 'providers', i, 'name'],
          message: 'duplicate provider',
        });
      }
      providers.add(p.name);
    });
  })
  .describe(
    'Homeostat configuration: the extensions that report, the repositories that get their issues and fixes, model providers and budgets, canary settings. Secrets never go here.',
  );

/** The file as written (defaults optional). */
export type HomeostatConfigInput = z.input<typeof HomeostatConfigSchema>;
/** The file after validation, with every default filled in. */
export type HomeostatConfig = z.output<typeof HomeostatConfigSchema>;
export type ExtensionConfig = HomeostatConfig['extensions'][number];
export type RepositoryConfig = HomeostatConfig['repositories'][number];
