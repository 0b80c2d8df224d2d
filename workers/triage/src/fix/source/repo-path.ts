/**
 * Repository paths as fix.types.ts defines them: relative, '/'-separated, no leading '/', no
 * '..'. Paths reach the reader from stack frames, source maps and import specifiers, all
 * attacker-influenced, so anything that could name a file outside the repository is refused
 * rather than repaired: an absolute path, a '..' segment (even one that would stay inside), a
 * backslash (a Windows separator GitHub would treat as a name character), NUL or another
 * control character. `./` and empty segments are harmless and dropped.
 */
export function normalizeRepoPath(path: string): string | null {
  if (path === '' || path.length > 4096) return null;
  if (path.startsWith('/') || path.includes('\\')) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return null;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return null;
    segments.push(segment);
  }
  return segments.length === 0 ? null : segments.join('/');
}

/** The directory part of a repository path ('' at the root). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * Joins a relative specifier (`./a`, `../b/c`) to a directory. Unlike `normalizeRepoPath`, '..'
 * is resolved here, since import specifiers legitimately climb; climbing above the repository
 * root gives null.
 */
export function joinRelative(dir: string, relative: string): string | null {
  const segments = dir === '' ? [] : dir.split('/');
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else segments.push(segment);
  }
  return normalizeRepoPath(segments.join('/'));
}
