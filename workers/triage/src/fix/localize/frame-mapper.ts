/**
 * Maps a frame of a packaged (built, possibly minified) extension file back to its original
 * source through the release's source maps (issue 9, item 2). The R2-backed implementation lives
 * in ../sourcemap/; localization depends only on this interface, and falls back to the
 * repository's `sourceRoots` whenever a frame cannot be mapped.
 */
export interface PackagedFrame {
  /** The configured extension id (source maps are uploaded per extension id and version). */
  extensionId: string;
  version: string;
  /** Path inside the extension package, with a leading '/': `/js/background.js`. */
  packagePath: string;
  /** 1-based, as V8 prints it. */
  line: number;
  /** 1-based, as V8 prints it; null when the stack gave none. */
  column: number | null;
}

export type FrameMapFailure =
  /** No source map was uploaded for this file of this version. */
  | 'no_map'
  /** The map exists but has no mapping for that position. */
  | 'no_mapping'
  /** The map does not parse or points nowhere sensible. */
  | 'map_invalid';

export type FrameMapping =
  | {
      ok: true;
      /** Repository path of the original source (relative, no '..'). */
      path: string;
      /** 1-based. */
      line: number;
      /** 1-based, when known. */
      column: number | null;
      function: string | null;
    }
  | { ok: false; reason: FrameMapFailure };

export interface FrameMapper {
  map(frame: PackagedFrame): Promise<FrameMapping>;
}

/** For a release without uploaded maps (or none configured): every frame goes to `sourceRoots`. */
export const noSourceMaps: FrameMapper = {
  map: async () => ({ ok: false, reason: 'no_map' }),
};
