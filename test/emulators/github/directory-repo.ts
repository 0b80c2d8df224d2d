import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { GitHubEmulator } from './github-emulator.ts';

/**
 * A real directory as a repository of the GitHub emulator, and back (issue 9, item 1; issue 10,
 * item 7): the fixer reads `examples/demo-extension/` or a fix-bench fixture through the API as
 * it would read GitHub, and the local CI writes a commit's tree to a temp directory to run its
 * tests. Node side only (the emulator itself stays free of Node APIs).
 */

/** Never part of a repository: installed packages, git's own data, wrangler's local state. */
export const SKIPPED_DIRECTORIES: readonly string[] = ['node_modules', '.git', '.wrangler'];

export interface DirectoryFiles {
  /** Repository path ('/'-separated) → bytes, as the working tree has them. */
  files: Record<string, Uint8Array>;
  /** Paths whose git mode is not 100644: executables and symbolic links. */
  modes: Record<string, '100755' | '120000'>;
}

export async function readDirectoryFiles(
  root: string,
  options: { skip?: readonly string[] } = {},
): Promise<DirectoryFiles> {
  const skip = new Set(options.skip ?? SKIPPED_DIRECTORIES);
  const out: DirectoryFiles = { files: {}, modes: {} };
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) await walk(full);
      } else if (entry.isSymbolicLink()) {
        // git stores a link as a blob holding its target.
        out.files[path] = new TextEncoder().encode(await readlink(full));
        out.modes[path] = '120000';
      } else if (entry.isFile()) {
        out.files[path] = new Uint8Array(await readFile(full));
        if (((await lstat(full)).mode & 0o111) !== 0) out.modes[path] = '100755';
      }
    }
  };
  await walk(resolve(root));
  return out;
}

/**
 * Adds `dir` to the emulator as `slug`, one initial commit on the default branch holding every
 * file (text and binary alike, as bytes). Returns that commit's SHA.
 */
export async function addDirectoryRepo(
  emulator: GitHubEmulator,
  slug: string,
  dir: string,
  options: { defaultBranch?: string; message?: string; skip?: readonly string[] } = {},
): Promise<{ sha: string; files: number }> {
  const { files, modes } = await readDirectoryFiles(dir, { skip: options.skip });
  const sha = await emulator.addRepo(slug, {
    files,
    modes,
    ...(options.defaultBranch === undefined ? {} : { defaultBranch: options.defaultBranch }),
    message: options.message ?? `Import ${slug}`,
  });
  return { sha, files: Object.keys(files).length };
}

/**
 * Writes the tree of commit `sha` of `slug` into `dir` (which must exist and should be empty),
 * with git's file modes. Paths are checked to stay inside `dir`: tree entries are data.
 */
export async function writeCommitTree(
  emulator: GitHubEmulator,
  slug: string,
  sha: string,
  dir: string,
): Promise<number> {
  const git = emulator.git(slug);
  const commit = git.commits.get(sha);
  if (commit === undefined) throw new Error(`no commit ${sha} in ${slug}`);
  const root = resolve(dir);
  let written = 0;
  for (const [path, entry] of git.flatten(commit.tree)) {
    const target = resolve(root, ...path.split('/'));
    if (!target.startsWith(`${root}${sep}`)) throw new Error(`tree path escapes: ${path}`);
    const bytes = git.blobs.get(entry.sha);
    if (entry.type !== 'blob' || bytes === undefined) continue; // submodules have no blob
    await mkdir(dirname(target), { recursive: true });
    if (entry.mode === '120000') {
      await symlink(new TextDecoder().decode(bytes), target);
    } else {
      await writeFile(target, bytes);
      if (entry.mode === '100755') await chmod(target, 0o755);
    }
    written++;
  }
  return written;
}
