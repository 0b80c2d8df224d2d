import { dirname, joinRelative, normalizeRepoPath } from '../source/repo-path.ts';

/**
 * Paths around a release's source maps (issue 9, item 2):
 * - the package path of a bundle, as Chrome reports it in a frame URL
 *   (`chrome-extension://<id>/popup.js` → `/popup.js`) and as the release CLI uploads it;
 * - the repository path of one of a map's `sources`, found from where the build output lies in
 *   the repository (`fix_releases.build_dir`).
 * Both come from outside (frames from users' browsers, maps from a build), so anything that
 * could name a file outside the package or the repository is refused, never repaired.
 */

const MAX_PACKAGE_PATH = 1024;

/**
 * `/dir/bundle.js` form: one leading '/', '/'-separated, no '..', no backslash or control
 * character; `./` and empty segments are dropped. Null when it cannot be a file in a package.
 */
export function normalizePackagePath(raw: string): string | null {
  if (!raw.startsWith('/') || raw.length > MAX_PACKAGE_PATH) return null;
  const inner = normalizeRepoPath(raw.replace(/^\/+/, ''));
  return inner === null || raw.endsWith('/') ? null : `/${inner}`;
}

/** `examples/demo-extension/dist` form ('' for the repository root); null when not such a path. */
export function normalizeBuildDir(raw: string): string | null {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return '';
  return normalizeRepoPath(trimmed);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// webpack's default devtoolModuleFilenameTemplate: `webpack://[namespace]/[resource-path]?[loaders]`.
const WEBPACK = /^webpack:\/\/[^/]*\/(.*)$/;

export interface SourceLocation {
  /** One entry of the map's `sources`. */
  source: string;
  sourceRoot: string | null | undefined;
  /** The release's build output directory, a repository path ('' = root). */
  buildDir: string;
  /** The bundle's package path (`/popup.js`); its map lies next to it. */
  file: string;
}

/**
 * The repository path of a map source, or null. Relative sources (what esbuild, Rollup, Vite and
 * tsc write) are relative to the map, which sits next to its bundle in the build output: they
 * resolve against the bundle's directory inside `buildDir`, and may climb out of it ('../src/a.ts')
 * but not out of the repository. `sourceRoot` is prefixed as the source map spec says
 * (ECMA-426 §"Resolving sources").
 *
 * `webpack://<namespace>/./src/a.js` names a path relative to webpack's `context`, by default the
 * directory of the webpack config, which is normally the parent of the output directory; it is
 * resolved against `buildDir`'s parent. A heuristic: a build whose output sits deeper resolves
 * wrong paths, which localization then fails to read and falls back to `sourceRoots`.
 *
 * `file://` sources are absolute paths on the build machine and say nothing about where the
 * checkout was, so they give null like every other absolute path or scheme
 * (`webpack-internal:`, `http:`, `vite:`).
 */
export function resolveSourcePath(location: SourceLocation): string | null {
  const { source, buildDir, file } = location;
  const root = location.sourceRoot ?? '';
  const combined =
    root === '' || SCHEME.test(source) ? source : `${root.replace(/\/+$/, '')}/${source}`;
  // A query or fragment is a loader's annotation (`?vue&type=script`), not part of the file name.
  const bare = combined.replace(/[?#].*$/, '');
  if (bare === '' || bare.endsWith('/')) return null;
  const webpack = WEBPACK.exec(bare);
  if (webpack !== null) {
    const relative = webpack[1] ?? '';
    // `webpack/bootstrap`, `webpack/runtime/…`: webpack's own runtime, in no repository.
    if (relative.startsWith('/') || relative.startsWith('webpack/') || SCHEME.test(relative)) {
      return null;
    }
    return joinRelative(dirname(buildDir), relative);
  }
  if (SCHEME.test(bare) || bare.startsWith('/')) return null;
  const bundleDir = dirname(file.replace(/^\/+/, ''));
  const base = [buildDir, bundleDir].filter((p) => p !== '').join('/');
  return joinRelative(base, bare);
}
