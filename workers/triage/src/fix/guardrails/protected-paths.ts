/**
 * Files no fix may touch, whatever the stack says (docs/architecture.md#guardrails:
 * never `manifest.json`, `.github/**`, `package.json`, lockfiles, CI or build config; research
 * ai-autofix.md §8 T3, T4, T6). The one list, kept here so every guardrail and test reads the same
 * thing. They are where an injected "fix" does lasting harm: extension permissions and CSP (the
 * manifest), code that runs on CI with its tokens (workflows, CI config, build and test config,
 * git hooks, editor tasks that run on opening the folder), and the supply chain (dependencies,
 * install scripts, registries, lockfiles; Clinejection published through exactly these).
 *
 * Matching is case-insensitive: a checkout on a case-insensitive file system (macOS, Windows)
 * treats `.GitHub/` and `Manifest.json` as the real thing.
 *
 * `scripts/**` is deliberately absent: Chrome's own extension samples keep content scripts in
 * `scripts/`, so it is an ordinary source folder in extension repositories. Build-time scripts
 * stay out of reach anyway unless a stack frame points there (`editablePaths`).
 */

/** Any path with one of these directories as a segment. */
const PROTECTED_DIRS = [
  '.github', // workflows, actions, CODEOWNERS, dependabot.yml
  '.gitlab',
  '.circleci',
  '.buildkite',
  '.woodpecker',
  '.ci', // this project's own CI entry point (.ci/run) and others like it
  '.git',
  '.husky', // git hooks run on every contributor's machine
  '.githooks',
  '.yarn', // yarn's plugins and vendored releases run on install
  '.vscode', // tasks.json can run commands when the folder is opened
  '.devcontainer',
  '.idea',
  'node_modules',
];

/** Exact file names, in any directory. */
const PROTECTED_NAMES = [
  // The extension's manifest: permissions, host_permissions, CSP, externally_connectable.
  'manifest.json',
  // Dependencies and what runs on install.
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'bun.lock',
  'bun.lockb',
  'deno.lock',
  'deno.json',
  'deno.jsonc',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.pnpmfile.cjs',
  '.nvmrc',
  '.node-version',
  '.tool-versions',
  // CI.
  '.gitlab-ci.yml',
  '.travis.yml',
  'azure-pipelines.yml',
  'bitbucket-pipelines.yml',
  'appveyor.yml',
  '.drone.yml',
  'jenkinsfile',
  'codeowners',
  '.gitattributes',
  '.gitmodules',
  'lefthook.yml',
  '.pre-commit-config.yaml',
  // Build, lint and test configuration that is not a `<tool>.config.*` file.
  'tsconfig.json',
  'jsconfig.json',
  '.babelrc',
  '.swcrc',
  '.parcelrc',
  '.browserslistrc',
  'biome.json',
  'biome.jsonc',
  '.prettierrc',
  'turbo.json',
  'nx.json',
  'lerna.json',
  'makefile',
  'gnumakefile',
  'justfile',
  'taskfile.yml',
  'procfile',
  'dockerfile',
  '.dockerignore',
  'docker-compose.yml',
  'docker-compose.yaml',
  'compose.yml',
  'compose.yaml',
  'wrangler.toml',
  'wrangler.json',
  'wrangler.jsonc',
  'vercel.json',
  'netlify.toml',
  'homeostat.config.json',
];

/** File-name shapes: variants of the names above and `<tool>.config.<ext>` files. */
const PROTECTED_NAME_PATTERNS: readonly RegExp[] = [
  // manifest.firefox.json, manifest.v3.json: cross-browser builds keep one manifest per target.
  /^manifest\.[\w.-]+\.json$/,
  /^tsconfig\..*\.json$/,
  /^jsconfig\..*\.json$/,
  /^\.babelrc\./,
  /^\.eslintrc(\.|$)/,
  /^\.prettierrc\./,
  /^\.stylelintrc(\.|$)/,
  /^\.env(\.|$)/, // secrets and build-time variables
  /^dockerfile\./,
  /^gulpfile\./,
  /^gruntfile\./,
  // webpack, vite, vitest, rollup, esbuild, rspack, rsbuild, tsup, babel, postcss, tailwind,
  // eslint, prettier, jest, karma, playwright, svelte, the extension frameworks (wxt, plasmo,
  // CRXJS's manifest.config.ts), and any other tool that follows the `<tool>.config.<ext>` shape.
  /^[\w-]+\.config\.[cm]?[jt]sx?$/,
  /^[\w-]+\.config\.(json|jsonc|json5|ya?ml|toml)$/,
  /^[\w-]+\.conf\.[cm]?[jt]s$/, // karma.conf.js
];

export type ProtectedMatch = 'directory' | 'name' | 'name_pattern';

/** Why `path` is protected, or null. `path` must already be a valid repository path. */
export function protectedPathMatch(path: string): ProtectedMatch | null {
  const segments = path.toLowerCase().split('/');
  const name = segments.at(-1) ?? '';
  if (segments.slice(0, -1).some((s) => PROTECTED_DIRS.includes(s))) return 'directory';
  if (PROTECTED_NAMES.includes(name)) return 'name';
  if (PROTECTED_NAME_PATTERNS.some((p) => p.test(name))) return 'name_pattern';
  return null;
}
