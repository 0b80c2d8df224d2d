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

/** Public ingest keys ship inside the extension: identifiers, not secrets (architecture.md). */
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
  /** Path inside the extension package, as in `chrome-extension://<id>/<from>…`. */
  from: z.string().startsWith('/', 'must start with /').max(256),
  /** Path in the repository that the packaged file was built from. */
  to: z
    .string()
    .max(256)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: 'must be a relative path inside the repository',
    }),
});

/**
 * Per-repository additions to triage's policy engine (issue 5, item 3). The seed rules are the
 * default set; `rules` add patterns (matched case-insensitively against the error type, message,
 * culprit and stack), `disable` switches default rules off by id, and `neverSafeSurfaces` names
 * surfaces whose errors are never classed "safe" (the background service worker by default).
 */
const PolicyRuleSchema = z.strictObject({
  id: slug,
  class: z.enum(['safe', 'needs-validation', 'critical']),
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
    ),
});

const RepositoryPolicySchema = z
  .strictObject({
    rules: z.array(PolicyRuleSchema).max(50).default([]),
    disable: z.array(slug).max(50).default([]),
    neverSafeSurfaces: z.array(SurfaceSchema).max(SURFACES.length).default(['background']),
  })
  .prefault({});

export const RepositoryConfigSchema = z.strictObject({
  slug: RepoSlugSchema,
  defaultBranch: z.string().min(1).max(255).default('main'),
  labels: z
    .strictObject({
      base: z.string().min(1).max(50).default('homeostat'),
      optOut: z.string().min(1).max(50).default('do-not-fix'),
      humanReview: z.string().min(1).max(50).default('needs-human-review'),
      extra: z.array(z.string().min(1).max(50)).max(20).default([]),
    })
    .prefault({}),
  paths: z
    .strictObject({
      include: z.array(z.string().min(1).max(256)).min(1).default(['**']),
      exclude: z.array(z.string().min(1).max(256)).default([]),
    })
    .prefault({}),
  maxPrsPerRun: z.int().min(0).max(20).default(2),
  maxOpenPrs: z.int().min(0).max(50).default(5),
  maxAttempts: z.int().min(1).max(10).default(3),
  /** Least time between two updates of a fingerprint's issue body (issue 5, item 2). */
  issueUpdateMinutes: z.int().min(1).max(10_080).default(60),
  limits: z
    .strictObject({
      /**
       * New GitHub issues per UTC day; the rest of the day's new problems are listed in one
       * digest issue, so the public ingest key cannot flood the repository (issue 11, item 2).
       */
      newIssuesPerDay: z.int().min(1).max(1_000).default(10),
    })
    .prefault({}),
  policy: RepositoryPolicySchema,
  confidenceThreshold: z.number().min(0).max(1).default(0.8),
  requiredChecks: z.array(z.string().min(1).max(200)).max(50).default([]),
  /**
   * Who may read the code. Private code is sent only to model providers marked `privateCode`
   * (architecture.md, "Models"); unknown is treated as private.
   */
  visibility: z.enum(['private', 'public']).default('private'),
  /** Merge a safe-class fix once its required checks are green on the head SHA (issue 10). */
  autoMerge: z.boolean().default(false),
  /** GitHub logins asked to review a needs-validation fix once its checks are green. */
  reviewers: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'must be a GitHub login'))
    .max(15)
    .default([]),
  sourceRoots: z
    .array(SourceRootSchema)
    .max(20)
    .default([{ from: '/', to: '' }]),
});

const ExtensionLimitsSchema = z
  .strictObject({
    eventsPerDay: z.int().positive().default(100_000),
    perInstallPerMinute: z.int().positive().default(30),
    perExtensionPerMinute: z.int().positive().default(3_000),
    /** Distinct installs before a fingerprint is "new": one install cannot trigger model spend. */
    minInstalls: z.int().min(1).default(2),
    /**
     * Distinct client networks (/24 or /48 prefixes, hashed) before a fingerprint is "new":
     * install ids are the client's to choose, its network is not (issue 11, item 2). Set 1 where
     * every client shares one network, e.g. tests on one machine.
     */
    minNetworks: z.int().min(1).default(2),
  })
  .prefault({});

export const ExtensionConfigSchema = z.strictObject({
  id: ExtensionIdSchema,
  name: slug,
  ingestKeys: z.array(IngestKeySchema).min(1).max(10),
  /** Optional allow-list of extension ids checked against `Origin: chrome-extension://<id>`. */
  allowedOrigins: z.array(ExtensionIdSchema).max(20).optional(),
  /**
   * The project id of the extension's Sentry DSN (`https://<ingest key>@<ingest host>/<id>`) for
   * Sentry's SDKs posting to ingest (issue 13). Set, ingest refuses any other id; unset, the key
   * alone names the extension and any id does. Digits only: Sentry's SDKs reject other DSNs.
   */
  sentryProjectId: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  repo: RepoSlugSchema,
  limits: ExtensionLimitsSchema,
  store: z
    .strictObject({
      publisherId: z.string().min(1).max(128),
      /** The store item id; defaults to the extension id. */
      itemId: ExtensionIdSchema.optional(),
    })
    .optional(),
});

export const ModelProviderSchema = z.strictObject({
  name: slug,
  /** Any OpenAI-compatible endpoint. */
  baseUrl: EndpointUrlSchema,
  model: z.string().min(1).max(200),
  apiKeySecret: SecretNameSchema.default('MODEL_API_KEY'),
  pricing: z.strictObject({
    inputUsdPerMTok: z.number().min(0),
    outputUsdPerMTok: z.number().min(0),
  }),
  maxOutputTokens: z.int().positive().max(200_000).default(4_096),
  /** 1 is tried first; a retry of a failed fix moves to the next tier up (issue 9, item 5). */
  tier: z.int().min(1).max(5).default(1),
  /** Whether the provider's terms allow sending private repositories' code to it. */
  privateCode: z.boolean().default(false),
  timeoutMs: z.int().min(1_000).max(600_000).default(60_000),
});

const ModelsSchema = z
  .strictObject({
    providers: z.array(ModelProviderSchema).max(10).default([]),
    /** Candidates asked of the model per attempt (`n`), voted over normalised diffs (Agentless). */
    candidates: z.int().min(1).max(8).default(3),
    budget: z
      .strictObject({
        perRunUsd: z.number().min(0).default(1),
        perDayUsd: z.number().min(0).default(10),
      })
      .prefault({}),
    fixLimits: z
      .strictObject({
        maxDiffLines: z.int().positive().default(500),
        maxFiles: z.int().positive().default(10),
      })
      .prefault({}),
  })
  .prefault({});

const CanarySchema = z
  .strictObject({
    /** `observe` decides and records but never calls the store, even with credentials. */
    mode: z.enum(['auto', 'observe']).default('auto'),
    storeApiBaseUrl: EndpointUrlSchema.default('https://chromewebstore.googleapis.com'),
    oauthTokenUrl: EndpointUrlSchema.default('https://oauth2.googleapis.com/token'),
    stages: z
      .array(z.int().gt(0).max(100))
      .min(1)
      .default([5, 10, 25, 50, 100])
      .refine((s) => s.every((p, i) => i === 0 || p > (s[i - 1] ?? 0)), {
        message: 'must be strictly increasing',
      })
      .refine((s) => s.at(-1) === 100, { message: 'must end at 100' }),
    // Defaults from research/canary.md §4.3: Chrome checks for updates "every few hours".
    firstStageMinSoakMinutes: z.int().min(0).default(360),
    minSoakMinutes: z.int().min(0).default(240),
    minSessionsPerStage: z.int().min(0).default(2_000),
    maxStageHours: z.number().positive().default(72),
    alpha: z.number().gt(0).lt(1).default(0.01),
    beta: z.number().gt(0).lt(1).default(0.05),
    thetaBad: z.number().gt(1).default(1.5),
    /** Tolerated rate ratio of the halt test (θ₀). */
    theta0: z.number().min(1).default(1),
    /** Alternatives of the halting mixture e-value, equally weighted; each must exceed theta0. */
    thetaGrid: z.array(z.number().gt(1)).min(1).max(10).default([1.25, 1.5, 2, 3, 5]),
    minCanaryAffected: z.int().min(0).default(5),
    criticalRate: z.number().gt(0).lt(1).default(0.1),
    criticalMinSessions: z.int().min(1).default(30),
    maxDataGapMinutes: z.int().min(5).default(30),
    /** Windows younger than this are not judged yet: ingest flushes its aggregates in batches. */
    windowSettleMinutes: z.int().min(0).max(60).default(10),
    rollback: z.enum(['never', 'critical', 'always']).default('critical'),
    onInconclusive: z.enum(['hold', 'rollback']).default('hold'),
    /** Judge (observe only) a new version that appears in release health without a registration. */
    discover: z.boolean().default(true),
  })
  .refine((c) => c.thetaGrid.every((t) => t > c.theta0), {
    message: 'every thetaGrid value must exceed theta0',
    path: ['thetaGrid'],
  })
  .prefault({});

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
        /** e.g. `myteam.cloudflareaccess.com` (Zero Trust > Settings > Custom pages). */
        teamDomain: z
          .string()
          .regex(/^[a-z0-9-]+\.cloudflareaccess\.com$/, 'must be <team>.cloudflareaccess.com'),
        /** The Access application's Application Audience (AUD) tag. */
        audience: z.string().regex(/^[a-f0-9]{64}$/, 'must be the 64-hex AUD tag'),
      })
      .optional(),
  })
  .prefault({});

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
  org: SentrySlugSchema,
  project: SentrySlugSchema,
  /** sentry.io, a regional host such as https://de.sentry.io, or a self-hosted Sentry. */
  baseUrl: EndpointUrlSchema.default('https://sentry.io'),
  tokenSecret: SecretNameSchema.default('SENTRY_AUTH_TOKEN'),
  /** The configured extension (its id) whose problems these are. */
  extension: ExtensionIdSchema,
  /** Import only events of this Sentry environment (e.g. `production`); all when absent. */
  environment: z.string().min(1).max(64).optional(),
  /** Issues whose latest event is fetched per cron tick: each is one API request. */
  maxIssuesPerRun: z.int().min(1).max(500).default(50),
});
export type SentrySourceConfig = z.output<typeof SentrySourceSchema>;

const SourcesSchema = z
  .strictObject({ sentry: z.array(SentrySourceSchema).max(20).default([]) })
  .prefault({});

export const HomeostatConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1),
    github: z
      .strictObject({ apiBaseUrl: EndpointUrlSchema.default('https://api.github.com') })
      .prefault({}),
    extensions: z.array(ExtensionConfigSchema).min(1).max(100),
    repositories: z.array(RepositoryConfigSchema).min(1).max(100),
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
  });

/** The file as written (defaults optional). */
export type HomeostatConfigInput = z.input<typeof HomeostatConfigSchema>;
/** The file after validation, with every default filled in. */
export type HomeostatConfig = z.output<typeof HomeostatConfigSchema>;
export type ExtensionConfig = HomeostatConfig['extensions'][number];
export type RepositoryConfig = HomeostatConfig['repositories'][number];
