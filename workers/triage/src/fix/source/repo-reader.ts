import { TriageError } from '../../errors.ts';
import type { GitHubClient } from '../../github/github-client.ts';
import { parseGitHub } from '../../github/github-client.ts';
import { type GitHubRequest, repoPath } from '../../github/github-request.ts';
import type { ReadOutcome, RepoSnapshot } from '../fix.types.ts';
import { BoundedCache } from './bounded-cache.ts';
import { normalizeRepoPath } from './repo-path.ts';
import {
  GitBlobSchema,
  GitRefSchema,
  type GitTreeEntry,
  GitTreeSchema,
  RepoInfoSchema,
} from './repo-reader.schema.ts';

/**
 * Read access to a repository at its default branch's head (issue 9, item 1;
 * docs/architecture.md#the-fixer: files come from the repository, never from the event). One ref
 * request pins the commit; the recursive tree at that commit lists every path with its blob SHA and
 * size; blobs are read on demand. Everything is keyed by SHA, which never changes meaning, so it is
 * cached per isolate: two snapshots of one commit cost one tree request, and an unchanged file one
 * blob request however many commits share it.
 */

export interface RepoReaderLimits {
  /** Largest file read, in bytes; larger ones are `too_large` (default 512 KiB). */
  maxFileBytes?: number;
  /**
   * Non-recursive tree requests spent listing a repository whose recursive listing GitHub cut
   * (`truncated`); directories beyond it are listed when a read needs them (default 64).
   */
  maxTreeRequests?: number;
  /** Defaults to the isolate's cache; tests pass their own. */
  cache?: RepoReaderCache;
}

export const DEFAULT_MAX_FILE_BYTES = 512 * 1024;
const DEFAULT_MAX_TREE_REQUESTS = 64;

/** The only modes of a file: 100644 and 100755. 120000 is a symlink, 160000 a submodule. */
const FILE_MODES = new Set(['100644', '100755', '100664']);

/**
 * Directories the eager walk of a truncated tree leaves for later: committed dependencies are
 * the usual reason a repository exceeds GitHub's listing limit, and never the extension's code.
 */
const LAZY_DIRECTORIES = /(?:^|\/)(?:node_modules|bower_components|\.git)$/;

interface IndexEntry {
  type: GitTreeEntry['type'];
  mode: string;
  sha: string;
  size: number | undefined;
}

/** What the reader knows of one commit's tree. Mutable only by learning more (truncated trees). */
interface TreeIndex {
  entries: Map<string, IndexEntry>;
  /** Directories not listed yet (truncated listing), path → tree SHA. */
  pending: Map<string, string>;
}

type BlobText = { kind: 'text'; text: string } | { kind: 'binary' };

export interface RepoReaderCache {
  trees: BoundedCache<TreeIndex>;
  blobs: BoundedCache<BlobText>;
}

export function createRepoReaderCache(
  options: { maxTrees?: number; maxTreePaths?: number; maxBlobChars?: number } = {},
): RepoReaderCache {
  return {
    trees: new BoundedCache<TreeIndex>({
      maxEntries: options.maxTrees ?? 16,
      maxWeight: options.maxTreePaths ?? 400_000,
      weigh: (t) => t.entries.size + t.pending.size,
    }),
    blobs: new BoundedCache<BlobText>({
      maxEntries: 50_000,
      // UTF-16 in memory: 8 M characters are 16 MB of the isolate's 128 MB.
      maxWeight: options.maxBlobChars ?? 8 * 1024 * 1024,
      weigh: (b) => (b.kind === 'text' ? b.text.length : 1) + 64,
    }),
  };
}

const isolateCache = createRepoReaderCache();

/** The GitHub client as the reader uses it: reads only. */
export type GitHubReader = Pick<GitHubClient, 'send'>;

function get(path: string, query?: Record<string, string | number>): GitHubRequest {
  return { method: 'GET', path, ...(query === undefined ? {} : { query }), idempotent: true };
}

function encodeSegments(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

/**
 * Opens a snapshot of `repo` at the head of `branch` (the repository's default branch when none
 * is given). GitHub failures (missing repository or branch, rate limits, outages) throw the
 * client's `TriageError`; reads of single files return typed outcomes.
 */
export async function openSnapshot(
  client: GitHubReader,
  /** `commit` pins the snapshot to that commit (learning reads a merge and its parent). */
  target: { repo: string; branch?: string; commit?: string },
  limits: RepoReaderLimits = {},
): Promise<GitHubRepoSnapshot> {
  const base = repoPath(target.repo);
  let commitSha = target.commit;
  if (commitSha === undefined) {
    let branch = target.branch;
    if (branch === undefined) {
      const info = parseGitHub(RepoInfoSchema, await client.send(get(base)), 'repository');
      branch = info.default_branch;
    }
    const ref = parseGitHub(
      GitRefSchema,
      await client.send(get(`${base}/git/ref/${encodeSegments(`heads/${branch}`)}`)),
      'git ref',
    );
    commitSha = ref.object.sha;
  }
  const cache = limits.cache ?? isolateCache;
  const key = `${target.repo.toLowerCase()}@${commitSha}`;
  let index = cache.trees.get(key);
  if (index === undefined) {
    index = await listTree(client, base, commitSha, limits.maxTreeRequests);
    cache.trees.set(key, index);
  }
  return new GitHubRepoSnapshot(client, target.repo, commitSha, index, key, {
    maxFileBytes: limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    cache,
  });
}

function toIndexEntry(e: GitTreeEntry): IndexEntry {
  return { type: e.type, mode: e.mode, sha: e.sha, size: e.size };
}

async function listTree(
  client: GitHubReader,
  base: string,
  commitSha: string,
  maxTreeRequests = DEFAULT_MAX_TREE_REQUESTS,
): Promise<TreeIndex> {
  // GitHub resolves a commit SHA in place of a tree SHA here ("The SHA1 value or ref … of the tree").
  const tree = parseGitHub(
    GitTreeSchema,
    await client.send(get(`${base}/git/trees/${commitSha}`, { recursive: 1 })),
    'git tree',
  );
  const index: TreeIndex = { entries: new Map(), pending: new Map() };
  if (!tree.truncated) {
    for (const e of tree.tree) index.entries.set(e.path, toIndexEntry(e));
    return index;
  }
  // Cut listing: GitHub's advice is to list one sub-tree at a time without `recursive`. Shallow
  // directories first (the extension's code is rarely deep), within a request budget; what is
  // left stays pending and is listed when a read asks for a path inside it.
  index.pending.set('', tree.sha);
  let budget = maxTreeRequests;
  while (budget > 0) {
    const next = [...index.pending.keys()]
      .filter((dir) => !LAZY_DIRECTORIES.test(dir))
      .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))[0];
    if (next === undefined) break;
    await expandDirectory(client, base, index, next);
    budget--;
  }
  return index;
}

async function expandDirectory(
  client: GitHubReader,
  base: string,
  index: TreeIndex,
  dir: string,
): Promise<void> {
  const sha = index.pending.get(dir);
  if (sha === undefined) return;
  const tree = parseGitHub(
    GitTreeSchema,
    await client.send(get(`${base}/git/trees/${sha}`)),
    'git tree',
  );
  index.pending.delete(dir);
  for (const e of tree.tree) {
    const path = dir === '' ? e.path : `${dir}/${e.path}`;
    index.entries.set(path, toIndexEntry(e));
    if (e.type === 'tree') index.pending.set(path, e.sha);
  }
}

function decodeBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/\s/g, ''));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Text or not: a NUL byte (git's own test) or bytes that are not UTF-8. */
function decodeText(bytes: Uint8Array): BlobText {
  if (bytes.includes(0)) return { kind: 'binary' };
  try {
    return {
      kind: 'text',
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes),
    };
  } catch {
    return { kind: 'binary' };
  }
}

export class GitHubRepoSnapshot implements RepoSnapshot {
  readonly repo: string;
  readonly commitSha: string;
  readonly #client: GitHubReader;
  readonly #index: TreeIndex;
  readonly #cacheKey: string;
  readonly #maxFileBytes: number;
  readonly #cache: RepoReaderCache;
  /** Reads in flight, so concurrent reads of one blob send one request. */
  readonly #inflight = new Map<string, Promise<BlobText | 'too_large'>>();

  constructor(
    client: GitHubReader,
    repo: string,
    commitSha: string,
    index: TreeIndex,
    cacheKey: string,
    options: { maxFileBytes: number; cache: RepoReaderCache },
  ) {
    this.#client = client;
    this.repo = repo;
    this.commitSha = commitSha;
    this.#index = index;
    this.#cacheKey = cacheKey;
    this.#maxFileBytes = options.maxFileBytes;
    this.#cache = options.cache;
  }

  /** False when GitHub cut the listing and some directories were not listed (yet). */
  get complete(): boolean {
    return this.#index.pending.size === 0;
  }

  paths(): readonly string[] {
    const out: string[] = [];
    for (const [path, e] of this.#index.entries) {
      if (e.type === 'blob' && FILE_MODES.has(e.mode)) out.push(path);
    }
    return out.sort();
  }

  /** The size GitHub listed for a file, without reading it (null when unknown or not a file). */
  sizeOf(path: string): number | null {
    const e = this.#index.entries.get(path);
    return e?.type === 'blob' ? (e.size ?? null) : null;
  }

  async read(rawPath: string): Promise<ReadOutcome> {
    const path = normalizeRepoPath(rawPath);
    if (path === null) return { ok: false, reason: 'outside_repo' };
    const entry = await this.#lookup(path);
    if (entry === undefined) return { ok: false, reason: 'not_found' };
    if (entry.type !== 'blob' || !FILE_MODES.has(entry.mode)) {
      return { ok: false, reason: 'not_a_file' };
    }
    // The listed size decides before any byte is fetched; the decoded size is checked again.
    if (entry.size !== undefined && entry.size > this.#maxFileBytes) {
      return { ok: false, reason: 'too_large' };
    }
    const blob = await this.#blob(entry.sha);
    if (blob === 'too_large') return { ok: false, reason: 'too_large' };
    if (blob.kind === 'binary') return { ok: false, reason: 'binary' };
    return { ok: true, file: { path, content: blob.text, blobSha: entry.sha } };
  }

  async #lookup(path: string): Promise<IndexEntry | undefined> {
    const known = this.#index.entries.get(path);
    if (known !== undefined || this.#index.pending.size === 0) return known;
    // A truncated tree: list the pending directories on the way to the path, outermost first.
    const segments = path.split('/');
    for (let i = 0; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (this.#index.pending.has(dir)) {
        await expandDirectory(this.#client, repoPath(this.repo), this.#index, dir);
        this.#cache.trees.reweigh(this.#cacheKey);
      }
    }
    return this.#index.entries.get(path);
  }

  async #blob(sha: string): Promise<BlobText | 'too_large'> {
    const cached = this.#cache.blobs.get(sha);
    if (cached !== undefined) return cached;
    let pending = this.#inflight.get(sha);
    if (pending === undefined) {
      pending = this.#fetchBlob(sha).finally(() => this.#inflight.delete(sha));
      this.#inflight.set(sha, pending);
    }
    return pending;
  }

  async #fetchBlob(sha: string): Promise<BlobText | 'too_large'> {
    const res = await this.#client.send(get(`${repoPath(this.repo)}/git/blobs/${sha}`));
    const blob = parseGitHub(GitBlobSchema, res, 'git blob');
    if (blob.size !== null && blob.size > this.#maxFileBytes) return 'too_large';
    const bytes =
      blob.encoding === 'base64'
        ? decodeBase64(blob.content)
        : blob.encoding === 'utf-8'
          ? new TextEncoder().encode(blob.content)
          : null;
    if (bytes === null) {
      throw new TriageError('github_invalid_response', 'GitHub answered with an unexpected body', {
        internal: `git blob: encoding ${blob.encoding.slice(0, 20)} or content not decodable`,
      });
    }
    if (bytes.byteLength > this.#maxFileBytes) return 'too_large';
    const text = decodeText(bytes);
    this.#cache.blobs.set(sha, text);
    return text;
  }
}
